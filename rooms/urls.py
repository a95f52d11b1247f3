from django.urls import path

from rooms import views

app_name = "rooms"

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/new/", views.room_new, name="new"),
    path("<str:name>/", views.room_page, name="room"),
]

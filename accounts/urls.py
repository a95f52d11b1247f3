from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("signup/confirm/<str:uidb64>/<str:token>/", views.signup_confirm, name="signup-confirm"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("verify/<str:uidb64>/<str:token>/", views.verify, name="verify"),
    path("verify/send/", views.verification_email, name="verification-email"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password/reset/<str:uidb64>/<str:token>/", views.password_reset_confirm, name="password-reset-confirm"),
    path("password/reset/done/", views.password_reset_done, name="password-reset-done"),
    path("password/", views.password_change, name="password-change"),
    path("password/changed/", views.password_change_done, name="password-change-done"),
]

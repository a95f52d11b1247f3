"""Teachers, for staff: find one, see their rooms, switch them off.

A teacher is switched off (`is_active`), never deleted here: deleting one
would delete their rooms around rooms.services, without closing a socket.
Passwords are changed with `manage.py changepassword`.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import Teacher


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email__startswith", "display_name")
    ordering = ("-date_joined",)
    show_full_result_count = False
    list_per_page = 100
    fields = ("email", "display_name", "is_active", "is_staff", "is_superuser", "groups", "date_joined", "last_login")
    readonly_fields = ("email", "date_joined", "last_login")
    filter_horizontal = ("groups",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

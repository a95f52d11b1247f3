"""The staff's view of rooms, participants, messages and reports.

Rows are read-only here: every change a room's people would see (a message
deleted, a room closed or deleted, a participant muted, a report resolved)
is an action that calls the same service the API calls, so it is validated,
recorded as an event and sent to every open socket, exactly as if a teacher
had done it. Editing a row by hand would bypass all of that.

List pages stay fast on large tables: each one joins what it shows
(`list_select_related`), never counts a whole table twice
(`show_full_result_count`), and searches by prefix or exact match where an
index can answer.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from rooms import services
from rooms.models import Message, Participant, Report, Room, RoomModerator
from todaysmeet.errors import ServiceError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; changes go through the actions, and so through rooms.services."""

    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Staff may open a row to read it; its form saves nothing.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _report_outcome(modeladmin: admin.ModelAdmin, request: HttpRequest, done: int, failed: list[str]) -> None:
    if done:
        modeladmin.message_user(request, f"Done for {done}.", messages.SUCCESS)
    for failure in failed:
        modeladmin.message_user(request, failure, messages.ERROR)


class ModeratorInline(admin.TabularInline):
    model = RoomModerator
    fields = ("teacher", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "topic", "created_at", "closes_at", "is_open", "paused", "is_private", "seq")
    list_select_related = ("owner",)
    list_filter = ("paused", "lifetime")
    search_fields = ("name__startswith", "owner__email__startswith", "topic")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = ("name", "owner", "topic", "created_at", "lifetime", "closes_at", "paused", "slow_mode_seconds", "seq")
    readonly_fields = fields
    inlines = (ModeratorInline,)
    actions = ("close_rooms", "reopen_rooms", "delete_rooms")

    @admin.display(boolean=True)
    def is_open(self, room: Room) -> bool:
        return room.is_open

    @admin.display(boolean=True)
    def is_private(self, room: Room) -> bool:
        return room.is_private

    def _update(self, request: HttpRequest, queryset: QuerySet[Room], changes: dict) -> None:
        done, failed = 0, []
        for room in queryset:
            try:
                services.room_update(room=room, changes=changes)
                done += 1
            except ServiceError as error:
                failed.append(f"{room}: {error.message}")
        _report_outcome(self, request, done, failed)

    @admin.action(description="Close the selected rooms now (their people see it live)")
    def close_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._update(request, queryset, {"closed": True})

    @admin.action(description="Reopen the selected rooms for a new lifetime")
    def reopen_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._update(request, queryset, {"closed": False})

    @admin.action(description="Delete the selected rooms and everything in them (their sockets are closed)")
    def delete_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        rooms = list(queryset)
        for room in rooms:
            services.room_delete(room=room)
        _report_outcome(self, request, len(rooms), [])


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ("nickname", "room", "color", "muted", "joined_at", "last_posted_at")
    list_select_related = ("room",)
    list_filter = ("muted",)
    search_fields = ("nickname", "=room__name")
    ordering = ("-joined_at",)
    fields = ("nickname", "room", "color", "muted", "joined_at", "last_posted_at", "password_version")
    readonly_fields = fields
    actions = ("mute", "unmute")

    def _mute(self, request: HttpRequest, queryset: QuerySet[Participant], muted: bool) -> None:
        for participant in queryset:
            services.participant_mute(room=participant.room, participant=participant, muted=muted)
        _report_outcome(self, request, len(queryset), [])

    @admin.action(description="Mute the selected participants")
    def mute(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        self._mute(request, queryset, True)

    @admin.action(description="Unmute the selected participants")
    def unmute(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        self._mute(request, queryset, False)


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("yes", "deleted"), ("no", "visible"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("room", "seq", "nickname", "excerpt", "author_role", "created_at", "deleted_at", "deleted_by")
    list_select_related = ("room", "deleted_by")
    list_filter = (DeletedFilter, "author_role")
    # Exact room names use the (room, seq) index; text is searched as typed.
    search_fields = ("=room__name", "nickname", "text")
    # Newest first by primary key: an index scan, however many messages there are.
    ordering = ("-pk",)
    fields = (
        "room",
        "seq",
        "nickname",
        "author_role",
        "participant",
        "teacher",
        "text",
        "client_id",
        "created_at",
        "deleted_at",
        "deleted_by",
    )
    readonly_fields = fields
    actions = ("delete_for_everyone",)

    @admin.display(description="text")
    def excerpt(self, message: Message) -> str:
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"

    @admin.action(description="Delete the selected messages for everyone (kept as evidence)")
    def delete_for_everyone(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        deleted = 0
        for message in queryset.select_related("room"):
            deleted += services.message_delete(room=message.room, message=message, deleted_by=request.user)
        _report_outcome(self, request, deleted, [])


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "open"), ("resolved", "resolved"))

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "room", "message", "reporter", "reason", "created_at", "resolution", "resolved_by")
    list_select_related = ("room", "message__room", "reporter__room", "resolved_by")
    list_filter = (OpenFilter, "resolution")
    search_fields = ("=room__name", "reason", "message__text")
    ordering = ("-created_at", "-pk")
    fields = ("room", "message", "reporter", "reason", "created_at", "resolved_at", "resolution", "resolved_by")
    readonly_fields = fields
    actions = ("delete_messages", "dismiss")

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Report], action: str) -> None:
        for report in queryset.select_related("room", "message"):
            services.report_resolve(room=report.room, report=report, action=action, resolved_by=request.user)
        _report_outcome(self, request, len(queryset), [])

    @admin.action(description="Delete the reported messages for everyone")
    def delete_messages(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, "delete")

    @admin.action(description="Dismiss the selected reports")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, "dismiss")

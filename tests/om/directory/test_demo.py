"""The demo's Directory Services: highfield's directory as if synchronised, report hits, the starter that became a task
and a leaver awaiting approval; seeding again adds nothing."""

from __future__ import annotations

from incidents.models import Task
from om.directory.demo import seed_directory
from om.directory.models import AccountRequest, DirectoryAccount, DirectorySettings, SyncRun
from servicedesk.catalogue_starter import starter_catalogue_create


def test_the_demo_shows_each_part_and_is_seeded_once(highfield, cast, desk):
    starter_catalogue_create(school=highfield, actor=desk)
    added = seed_directory({"highfield": highfield}, cast)
    assert added["accounts"] == 16 and added["sync runs"] == 1 and added["catalogue items"] == 3
    config = DirectorySettings.objects.get(school=highfield)
    assert not config.sync_enabled and config.role_map
    assert SyncRun.objects.get().status == "succeeded"
    assert DirectoryAccount.objects.get(username="sdavies").state == "disabled"
    starter = AccountRequest.objects.get(kind="starter")
    assert starter.state == "task" and starter.username == "nroberts"
    assert "New-ADUser" in Task.objects.get(pk=starter.task_id).description
    assert AccountRequest.objects.get(kind="leaver").state == "awaiting"
    assert seed_directory({"highfield": highfield}, cast) == {}

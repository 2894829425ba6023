"""The two accounts the target file names (a victim and an attacker)."""
from django.contrib.auth.hashers import make_password
from django.db import migrations

USERS = [("alice", "alice-wonderland-2026"), ("bob", "bob-builder-2026")]


def create(apps, schema_editor):
    User = apps.get_model("auth", "User")
    for username, password in USERS:
        User.objects.create(username=username, password=make_password(password))


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

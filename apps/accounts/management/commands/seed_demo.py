from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Classroom, Enrolment, School, User
from apps.problems.importers import import_gsm8k

DEMO_PROBLEMS = settings.DATA_DIR / "gsm8k" / "test_50.jsonl"
DEMO_USERS = [
    ("admin", User.Role.ADMIN), ("teacher", User.Role.TEACHER),
    ("student1", User.Role.STUDENT), ("student2", User.Role.STUDENT),
    ("student3", User.Role.STUDENT), ("annotator", User.Role.ANNOTATOR),
]


def demo_password(username: str) -> str:
    return f"{username}-demo"


class Command(BaseCommand):
    help = ("Create demo people (a school, a teacher with three students, an annotator, an admin) "
            "and 50 GSM8K problems. Idempotent.")

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for username, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"role": role})
            if created:
                user.set_password(demo_password(username))
                user.is_staff = user.is_superuser = role == User.Role.ADMIN
                user.save()
            users[username] = user
        school, _ = School.objects.get_or_create(name="Riverside School")
        classroom, _ = Classroom.objects.get_or_create(
            school=school, name="Class 7A", defaults={"teacher": users["teacher"]})
        for name in ("student1", "student2", "student3"):
            Enrolment.objects.get_or_create(classroom=classroom, student=users[name])
        result = import_gsm8k(DEMO_PROBLEMS, source="gsm8k/test")
        self.stdout.write(f"problems: {result.created} new, {result.existing} already there")
        self.stdout.write("demo logins (username / password):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {username} / {demo_password(username)}")

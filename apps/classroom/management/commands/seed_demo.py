from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from agents.embeddings import EmbeddingModelMissing
from apps.accounts.models import Classroom, Enrolment, School, User
from apps.annotation.models import AnnotationQueue
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.annotation.services import save_schema_version
from apps.problems.importers import ImportFileError, import_gsm8k, import_mathdial_confusions
from apps.problems.models import Misconception

DEMO_PROBLEMS = settings.DATA_DIR / "gsm8k" / "test_50.jsonl"
# MathDial's dialogues are on GSM8K-style word problems, so the misconceptions its teachers
# described fit the demo problems (CogTutorBugs' are about solving linear equations).
DEMO_CATALOGUE = settings.DATA_DIR / "mathdial" / "dev.jsonl"
DEMO_CATALOGUE_CLUSTERS = 12
DEMO_PAIR_QUEUE = "Demo: which tutor reply is better?"
DEMO_USERS = [
    ("admin", User.Role.ADMIN), ("teacher", User.Role.TEACHER),
    ("student1", User.Role.STUDENT), ("student2", User.Role.STUDENT),
    ("student3", User.Role.STUDENT), ("annotator", User.Role.ANNOTATOR),
]


def demo_password(username: str) -> str:
    return f"{username}-demo"


class Command(BaseCommand):
    help = ("Create demo people (a school, a teacher with three students, an annotator, an admin), "
            "50 GSM8K problems, a misconception catalogue (MathDial's teacher-described "
            "confusions, clustered) so detection is on, and a pairwise queue fed by the demo "
            "class's candidate replies. Idempotent.")

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
            school=school, name="Class 7A",
            defaults={"teacher": users["teacher"], "collect_candidate_pairs": True})
        for name in ("student1", "student2", "student3"):
            Enrolment.objects.get_or_create(classroom=classroom, student=users[name])
        result = import_gsm8k(DEMO_PROBLEMS, source="gsm8k/test")
        self.stdout.write(f"problems: {result.created} new, {result.existing} already there")
        self.seed_catalogue()
        queue, created = AnnotationQueue.objects.get_or_create(
            name=DEMO_PAIR_QUEUE, defaults={
                "schema": save_schema_version("pairwise-preference",
                                              DEFAULT_SCHEMAS["pairwise-preference"]),
                "target": AnnotationQueue.Target.PAIR, "n_per_item": 1, "lead": users["annotator"],
                "created_by": users["admin"]})
        if created:
            queue.annotators.add(users["annotator"], users["admin"])
        self.stdout.write(f"pairwise queue: {queue.name!r} (candidate replies of {classroom.name})")
        self.stdout.write("demo logins (username / password):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {username} / {demo_password(username)}")

    def seed_catalogue(self) -> None:
        if Misconception.objects.exists():
            self.stdout.write(f"misconceptions: {Misconception.objects.count()} already there")
            return
        try:
            result = import_mathdial_confusions(DEMO_CATALOGUE, clusters=DEMO_CATALOGUE_CLUSTERS)
        except (ImportFileError, EmbeddingModelMissing) as exc:
            self.stderr.write(f"misconceptions: none loaded, detection stays off ({exc})")
            return
        self.stdout.write(f"misconceptions: {result.created} from {DEMO_CATALOGUE.name} "
                          "(MathDial, CC BY-SA 4.0)")

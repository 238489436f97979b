"""People, their roles, and the schools and classrooms they belong to."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    class Role(models.TextChoices):
        STUDENT = "student"
        TEACHER = "teacher"
        ANNOTATOR = "annotator"
        ADMIN = "admin"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)

    @property
    def is_admin(self) -> bool:
        """Superusers count as admins."""
        return self.is_superuser or self.role == self.Role.ADMIN

    def has_role(self, *roles: str) -> bool:
        """Whether the person has one of `roles`; admins pass every role check. At least one
        role must be named, so no call reads as a check it is not (admins only: `is_admin`)."""
        if not roles:
            raise TypeError("has_role() needs at least one role; for admins only use is_admin")
        return self.is_admin or self.role in roles


class School(models.Model):
    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class Classroom(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classrooms")
    name = models.CharField(max_length=200)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="classrooms_taught")
    telling_budget_turn = models.PositiveSmallIntegerField(
        default=5, help_text="The tutor may not tell the answer before this student turn.")
    allowed_problem_sources = models.JSONField(
        default=list, blank=True,
        help_text="Problem.source prefixes the class may open; empty means every problem set.")
    collect_candidate_pairs = models.BooleanField(
        default=False, help_text="Collect candidate reply pairs from this class for pairwise "
                                 "annotation (a second, unshown reply to each student turn).")
    students = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Enrolment",
                                      related_name="classrooms")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="uniq_class_name")]

    def __str__(self) -> str:
        return f"{self.school} / {self.name}"


class Enrolment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE)
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    data_sharing_consent = models.BooleanField(default=True)
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "student"],
                                               name="uniq_enrolment")]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class AuditEvent(models.Model):
    """Who did what to which object: role changes, takeovers, settings changes, exports."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.target_type} {self.target_id}"

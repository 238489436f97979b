"""The problem bank: statements, gold answers and worked solutions, with where they came from."""

from django.db import models


class Problem(models.Model):
    statement = models.TextField()
    gold_answer = models.CharField(max_length=200)
    solution = models.TextField(help_text="Worked solution, verbatim from the source.")
    skills = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=40, help_text="e.g. gsm8k/test, mathdial/dev")
    source_key = models.CharField(max_length=80, help_text="Identity of the item in its source.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_key"],
                                               name="uniq_problem_source")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.source}#{self.source_key}"

    @property
    def title(self) -> str:
        return self.statement if len(self.statement) < 80 else self.statement[:77] + "…"


class StudentSolution(models.Model):
    """An incorrect student solution to a problem (MathDial), with the persona that wrote it."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="student_solutions")
    text = models.TextField(help_text="Verbatim incorrect solution.")
    profile = models.TextField(blank=True, help_text="Persona, e.g. MathDial student_profile.")
    confusion = models.TextField(blank=True, help_text="The teacher's name for the misconception.")
    source = models.CharField(max_length=40)
    source_key = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_key"],
                                               name="uniq_student_solution_source")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.source}#{self.source_key}"
class Misconception(models.Model):
    """One entry of the misconception catalogue the detector retrieves from."""

    key = models.CharField(max_length=120, unique=True,
                           help_text="Stable identity, e.g. cogtutor:FORGOT_NEGATIVE")
    name = models.CharField(max_length=200)
    description = models.TextField(help_text="What the student believes or does, in a teacher's words.")
    skill = models.CharField(max_length=120, blank=True, help_text="e.g. linear equations")
    example_wrong_work = models.TextField(blank=True)
    source = models.CharField(max_length=200, help_text="Where the entry comes from, with citation.")
    licence = models.CharField(max_length=80, help_text="e.g. CC BY 4.0")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} — {self.name}"

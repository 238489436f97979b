"""Which Celery queue an experiment's step goes to; named in settings `CELERY_TASK_ROUTES`."""

from __future__ import annotations

from django.conf import settings

ADVANCE_TASK = "apps.lab.tasks.advance_experiment_task"


def queue_for(experiment) -> str:
    """`gpu` when any role runs on an engine of settings `GPU_ENGINES` (vLLM), else `llm`."""
    engines = {v for k, v in experiment.params.items() if k.endswith("engine")}
    return "gpu" if engines & set(settings.GPU_ENGINES) else "llm"


def route_experiment_step(name, args, kwargs, options, task=None, **kw):
    """A Celery router: an experiment's step goes where its engines run; other tasks pass on."""
    if name != ADVANCE_TASK or not args:
        return None
    from apps.lab.models import Experiment  # the router may be built before Django's apps load

    experiment = Experiment.objects.filter(pk=args[0]).only("params").first()
    return {"queue": queue_for(experiment)} if experiment else None

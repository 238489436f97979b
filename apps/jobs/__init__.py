"""Background jobs shared by the apps: the abstract `Job` row and the one way to queue its task.

No tables of its own (the model is abstract), so it is not in INSTALLED_APPS.
"""

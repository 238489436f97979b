from django.urls import path

from apps.annotation import views

urlpatterns = [
    path("annotation/", views.queue_list, name="annotation_queues"),
    path("annotation/queues/new/", views.queue_create, name="annotation_queue_create"),
    path("annotation/queues/<int:queue_id>/", views.queue_detail, name="annotation_queue"),
    path("annotation/queues/<int:queue_id>/work/", views.work, name="annotation_work"),
    path("annotation/queues/<int:queue_id>/agreement/", views.agreement_page,
         name="annotation_agreement"),
    path("annotation/queues/<int:queue_id>/judge/", views.run_judge, name="annotation_judge"),
    path("annotation/assignments/<int:assignment_id>/label/", views.submit_label,
         name="annotation_label"),
    path("annotation/assignments/<int:assignment_id>/skip/", views.skip, name="annotation_skip"),
    path("annotation/labels/<int:label_id>/revise/", views.revise_label, name="annotation_revise"),
    path("annotation/items/<int:item_id>/adjudicate/", views.adjudicate, name="annotation_adjudicate"),
    path("feedback/turns/<int:turn_id>/", views.turn_feedback, name="turn_feedback"),
]

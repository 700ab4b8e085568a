from django.urls import path

from aftersales.surveys import views

app_name = "surveys"

urlpatterns = [
    path("cases/<str:case_no>/", views.case_survey, name="case-survey"),
]

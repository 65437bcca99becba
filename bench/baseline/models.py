from __future__ import annotations

from django.db import models


class PlainApplication(models.Model):
    code = models.CharField(max_length=16, unique=True)
    programme = models.CharField(max_length=20)
    received_on = models.DateField()
    language = models.CharField(max_length=8)
    answers_json = models.TextField()


class PlainFile(models.Model):
    application = models.ForeignKey(PlainApplication, on_delete=models.CASCADE)
    path = models.CharField(max_length=64, unique=True)
    meta_json = models.TextField()

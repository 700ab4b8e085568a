"""Shops, carriers and product categories: the marketplace's reference data."""

from __future__ import annotations

from django.db import models


class Shop(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    return_address = models.CharField(max_length=300)
    # The shop's own promise of after-sales service, in days after receipt (rule 2.1(4)).
    promised_after_sales_days = models.PositiveIntegerField(null=True, blank=True)
    # The 保证金 the shop keeps with the platform; sales income restores it after deductions.
    security_deposit_target_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Carrier(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A product category as the rules name it (Chinese, e.g. 手机)."""

    name = models.CharField(max_length=60, unique=True)
    # Rule 1.2: repair applies only to listed categories.
    repairable = models.BooleanField(default=False)
    # Consumer Rights Protection Law art. 25: custom-made, perishable, opened digital goods,
    # newspapers… are excluded from seven-day no-reason returns.
    excluded_from_no_reason_return = models.BooleanField(default=False)
    # Rule 2.1(2) and (3): the national after-sales period and another platform rule's period.
    national_warranty_days = models.PositiveIntegerField(null=True, blank=True)
    platform_rule_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

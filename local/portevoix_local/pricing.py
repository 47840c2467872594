"""AWS list prices the cost estimate uses: one place, with where and when they hold.

US East (N. Virginia), on-demand, in US dollars, as published on the AWS
pricing pages (checked 2026-12-02; the last change that matters here:
DynamoDB on-demand throughput halved on 2024-11-01). Other regions differ
by a few percent (Step Functions costs $0.0297 per 1,000 transitions in
Paris, for example). "Always free" allowances do not expire with the
12-month free tier; the estimate shows the bill with and without them.
"""

from __future__ import annotations

REGION = "us-east-1"
AS_OF = "2026-12-02"

PRICES: dict[str, float] = {
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second_arm64": 0.0000133334,
    "dynamodb_wru": 0.625 / 1_000_000,
    "dynamodb_rru": 0.125 / 1_000_000,
    "dynamodb_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "sfn_transition": 0.025 / 1_000,
    "scheduler_invocation": 1.00 / 1_000_000,
    "ses_email": 0.10 / 1_000,
    "ses_attachment_gb": 0.12,
    "http_api_request": 1.00 / 1_000_000,
    "logs_ingested_gb": 0.50,
    "logs_stored_gb_month": 0.03,
    "cloudwatch_metric_month": 0.30,
    "sqs_request": 0.40 / 1_000_000,
    "ssm_advanced_parameter_month": 0.05,
    "secretsmanager_secret_month": 0.40,
    "s3_gb_month": 0.023,
    "s3_put": 0.005 / 1_000,
}

# Bedrock on-demand text prices per 1,000 tokens (input, output), by model id prefix.
BEDROCK_1K: dict[str, tuple[float, float]] = {
    "amazon.nova-micro": (0.000035, 0.00014),
    "amazon.nova-lite": (0.00006, 0.00024),
    "anthropic.claude-3-haiku": (0.00025, 0.00125),
    "anthropic.claude-3-5-haiku": (0.0008, 0.004),
}

# Always-free allowances per month (not the 12-month trial ones).
ALWAYS_FREE: dict[str, float] = {
    "lambda_request": 1_000_000,
    "lambda_gb_second_arm64": 400_000,
    "dynamodb_gb_month": 25,
    "sfn_transition": 4_000,
    "scheduler_invocation": 14_000_000,
    "logs_ingested_gb": 5,  # shared by ingestion and storage
    "cloudwatch_metric_month": 10,
    "sqs_request": 1_000_000,
}

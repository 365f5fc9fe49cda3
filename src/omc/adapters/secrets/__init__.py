"""Secrets providers: environment variables and AWS Secrets Manager."""

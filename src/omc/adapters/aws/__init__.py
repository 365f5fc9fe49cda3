"""AWS adapters (boto3): Secrets Manager."""

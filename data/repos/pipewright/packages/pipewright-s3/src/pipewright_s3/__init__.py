"""Keep step outputs in an S3 bucket."""
from __future__ import annotations
import pickle
from typing import Any
import boto3


class S3Store:
    def __init__(self, bucket: str, prefix: str = "pipewright/", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix = bucket, prefix
        self.s3 = boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, run_id: str, step: str, value: Any) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=f"{self.prefix}{run_id}/{step}.pkl", Body=pickle.dumps(value))

    def get(self, run_id: str, step: str) -> Any:
        body = self.s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}{run_id}/{step}.pkl")["Body"]
        return pickle.loads(body.read())

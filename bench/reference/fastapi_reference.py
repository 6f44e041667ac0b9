"""The FastAPI + Celery intake handler of the original design, for `npm run bench`.

One uvicorn process: check the HMAC on the raw body, parse the event, and send a Celery task with a
job id derived from the event id. Reads BENCH_SECRET and BENCH_REDIS_URL.
Run: python3 -m uvicorn fastapi_reference:app --host 127.0.0.1 --port N (from bench/reference).
"""
import hashlib
import hmac
import json
import os
import time

from celery import Celery
from fastapi import FastAPI, Request, Response

SECRET = os.environ["BENCH_SECRET"].encode()
celery_app = Celery("enhance", broker=os.environ["BENCH_REDIS_URL"])
celery_app.conf.task_ignore_result = True
app = FastAPI()


@app.post("/v1/webhooks/servicedesk/{tenant}", status_code=202)
async def webhook(tenant: str, request: Request):
    raw = await request.body()
    timestamp = request.headers.get("x-webhook-timestamp", "")
    given = request.headers.get("x-webhook-signature", "").replace("sha256=", "")
    expected = hmac.new(SECRET, timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        return Response(status_code=401)
    event_id = str(json.loads(raw).get("event_id"))
    job_id = hashlib.sha256(event_id.encode()).hexdigest()[:40]
    celery_app.send_task(
        "enhance_ticket",
        kwargs={"event_id": event_id, "received_at": int(time.time() * 1000)},
        task_id=job_id,
    )
    return {"status": "accepted", "job_id": job_id}

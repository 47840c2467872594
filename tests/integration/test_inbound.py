"""Emails to the brand's address: stored by SES in S3, turned into mentions, answered in thread."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from functions.reply.app import lambda_handler
from portevoix.core import store
from portevoix.inbox import filing, replies
from portevoix_local.stack import LambdaContext
from tests.helpers import make_config
from tests.integration.test_digest import sent_messages

BUCKET = "inbound-test"


@pytest.fixture
def bucket(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    aws.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    monkeypatch.setenv("DATA_BUCKET", BUCKET)
    return aws.client("s3")


def deliver(s3: Any, key: str, msg: EmailMessage) -> dict[str, Any]:
    s3.put_object(Bucket=BUCKET, Key=key, Body=msg.as_bytes())
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key.replace(" ", "+")}},
            }
        ]
    }
    return lambda_handler(event, LambdaContext("portevoix-reply"))


def customer_email() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Jeanne Client <jeanne@example.org>"
    msg["To"] = "contact@brand.example"
    msg["Subject"] = "Ma commande 1234 n'est jamais arrivée"
    msg["Message-ID"] = "<abc-123@example.org>"
    msg.set_content(
        "Bonjour,\nMa commande n'est jamais arrivée, toujours pas de remboursement. Très déçue.\nJeanne"
    )
    msg.add_alternative(
        "<p onclick='x()'>Bonjour,<script>alert(1)</script> Ma commande...</p>", subtype="html"
    )
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="../../facture 1234.pdf"
    )
    return msg


def test_an_email_becomes_a_mention_once_with_its_attachment(bucket: Any) -> None:
    assert deliver(bucket, "inbound/msg 1", customer_email()) == {"mentions": 1}
    assert deliver(bucket, "inbound/msg 1", customer_email()) == {
        "mentions": 0
    }  # the event came twice
    (mention,) = store.query_gsi1("INBOX#new")
    assert (mention["source"], mention["author"], mention["author_handle"]) == (
        "email",
        "Jeanne Client",
        "jeanne@example.org",
    )
    assert mention["title"] == "Ma commande 1234 n'est jamais arrivée"
    assert "toujours pas de remboursement" in mention["text"] and "<script" not in mention["text"]
    (attachment,) = mention["attachments"]
    assert attachment["name"] == "_.._facture 1234.pdf" and attachment["key"].startswith(
        "attachments/"
    )
    assert (
        bucket.get_object(Bucket=BUCKET, Key=attachment["key"])["Body"].read() == b"%PDF-1.4 fake"
    )


def test_the_reply_goes_back_by_email_in_the_thread(bucket: Any) -> None:
    config = make_config()
    deliver(bucket, "inbound/msg-2", customer_email())
    filed = filing.handle_new(config, store.query_gsi1("INBOX#new")[0])
    assert filed["intent"] == "complaint" and filed["status"] == "needs_reply"
    done = replies.reply(
        config, filed["PK"][8:], "Bonjour Jeanne, nous renvoyons votre colis aujourd'hui."
    )
    assert done["status"] == "replied"
    answer = next(m for m in sent_messages() if m["To"] == "jeanne@example.org")
    assert answer["Subject"] == "Re: Ma commande 1234 n'est jamais arrivée"
    assert (
        answer["In-Reply-To"] == "<abc-123@example.org>"
        and "<abc-123@example.org>" in answer["References"]
    )
    assert "nous renvoyons votre colis" in answer.get_body(preferencelist=("plain",)).get_content()

"""New mentions through the table's stream: classified, filed, urgent ones told once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.reply.app import lambda_handler as reply
from portevoix.core import store
from portevoix.inbox import filing
from portevoix.listening.poller import poll
from portevoix_local.stack import StreamPump
from tests.helpers import make_config, put_config, rss
from tests.integration.test_digest import parts, sent_messages

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def seeded(aws: Any, feed_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    feed_server.set(
        "/m.rss",
        rss(
            [
                (
                    "Porte-voix : ma batterie a pris feu, les pompiers sont venus",
                    "https://ex.com/fire",
                ),
                ("Porte-voix livre-t-il en Belgique ?", "https://ex.com/q"),
                (
                    "Gagnez 500€ par jour avec Porte-voix, cliquez ici http://spam.example",
                    "https://ex.com/spam",
                ),
                ("Un article sans la marque", "https://ex.com/other"),
            ]
        ),
    )
    config = make_config(feeds=[{"id": "m", "url": feed_server.url("/m.rss")}])
    put_config(aws, monkeypatch, config)
    pump = StreamPump("portevoix-test")
    assert poll(config, NOW).mentions == 3
    return config, pump


def mention(title_start: str) -> dict[str, Any]:
    rows = store.query_gsi1("INBOX#needs_reply") + store.query_gsi1("INBOX#ignored")
    return next(m for m in rows if m["title"].startswith(title_start))


def test_stream_files_each_mention_and_alerts_the_crisis_at_once(seeded: Any) -> None:
    config, pump = seeded
    answers = pump.pump(reply)
    assert all(a == {"batchItemFailures": []} for a in answers)
    fire, question, spam = (
        mention("Porte-voix : ma batterie"),
        mention("Porte-voix livre"),
        mention("Gagnez"),
    )
    assert (fire["intent"], fire["urgency"], fire["status"]) == (
        "crisis",
        "immediate",
        "needs_reply",
    )
    assert (question["intent"], question["status"]) == ("question", "needs_reply")
    assert (spam["intent"], spam["status"]) == ("spam", "ignored")
    alerts = [m for m in sent_messages() if "ALERTE" in m["Subject"] or "ALERT" in m["Subject"]]
    assert len(alerts) == 2  # one per language of the team
    assert "ma batterie a pris feu" in parts(alerts[0])[0]
    # The template's filter lets only INSERTs of mentions through: the writes the
    # handler made come back as MODIFY records and never reach it.
    assert pump.pump(reply) == []
    assert len([m for m in sent_messages() if "ALERT" in m["Subject"]]) == 2


def test_a_replayed_batch_never_alerts_twice(seeded: Any) -> None:
    config, pump = seeded
    records = pump.records()
    event = {"Records": records}
    from portevoix_local.stack import LambdaContext

    reply(event, LambdaContext("r"))
    reply(event, LambdaContext("r"))  # the stream delivers the batch again after a timeout
    assert len([m for m in sent_messages() if "ALERT" in m["Subject"]]) == 2


def test_one_bad_record_fails_alone(seeded: Any) -> None:
    from portevoix_local.stack import LambdaContext

    config, pump = seeded
    records = pump.records()
    broken = dict(records[0])
    broken["dynamodb"] = {
        **broken["dynamodb"],
        "NewImage": {"SK": {"S": "MENTION"}},
        "SequenceNumber": "999",
    }
    answer = reply({"Records": [broken, *records]}, LambdaContext("r"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    assert mention("Porte-voix livre")["status"] == "needs_reply"


def test_a_batch_where_every_record_fails_raises_so_that_lambda_bisects_it(seeded: Any) -> None:
    from portevoix_local.stack import LambdaContext

    _, pump = seeded
    broken = dict(pump.records()[0])
    broken["dynamodb"] = {**broken["dynamodb"], "NewImage": {"SK": {"S": "MENTION"}}}
    with pytest.raises(RuntimeError, match="all 1 records of the batch failed"):
        reply({"Records": [broken]}, LambdaContext("r"))


def test_the_batched_inbox_email_lists_what_needs_a_reply_once(seeded: Any) -> None:
    config, pump = seeded
    pump.pump(reply)
    sent = filing.send_batch(config, NOW)
    assert len(sent) == 1  # the question; the crisis was already told, the spam is ignored
    batch = [m for m in sent_messages() if "Boîte de réception" in m["Subject"]]
    assert "1 message à traiter" in batch[0]["Subject"] and "Question" in parts(batch[0])[0]
    assert filing.send_batch(config, NOW) == []


def test_comprehend_when_the_configuration_asks_for_it(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = {
        "PK": "MENTION#x#1",
        "SK": "MENTION",
        "GSI1PK": "INBOX#new",
        "GSI1SK": "a",
        "source": "x",
        "status": "new",
        "text": "Très déçu, toujours pas remboursé",
        "received_at": "2026-11-28T10:00:00Z",
    }

    def file_anew(config: Any) -> dict[str, Any]:
        store.batch_put([record])  # new again: a filed mention is never filed twice
        return filing.triage(config, dict(record))

    rules = make_config()
    assert file_anew(rules)["sentiment"] == "negative"
    assert filing.triage(rules, dict(record)) is None  # a replayed record changes nothing
    with_comprehend = make_config(inbox={"comprehend": {"enabled": True, "region": "eu-west-1"}})
    assert file_anew(with_comprehend)["sentiment"] == "neutral"  # moto's Comprehend answer
    import boto3
    from botocore.exceptions import ClientError

    class Throttled:
        def detect_sentiment(self, **_: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "DetectSentiment"
            )

    monkeypatch.setattr(boto3, "client", lambda *a, **k: Throttled())
    assert file_anew(with_comprehend)["sentiment"] == "negative"  # no answer: rules


def test_urgent_messages_of_one_batch_share_one_email(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:

    config = make_config(team=[{"email": "cm@brand.example", "language": "fr"}])
    put_config(aws, monkeypatch, config)
    pump = StreamPump("portevoix-test")
    store.batch_put(
        [
            {
                "PK": f"MENTION#x#{i}",
                "SK": "MENTION",
                "GSI1PK": "INBOX#new",
                "GSI1SK": f"2026-11-28T10:00:0{i}Z#{i}",
                "source": "x",
                "status": "new",
                "author_handle": f"@client{i}",
                "text": f"Votre SAV ne répond jamais, très déçu, toujours pas remboursé ({i})",
                "received_at": "2026-11-28T10:00:00Z",
            }
            for i in range(3)
        ]
    )
    pump.pump(reply)
    urgent = [m for m in sent_messages() if "urgent" in m["Subject"].lower()]
    assert len(urgent) == 1
    body = parts(urgent[0])[0]
    assert all(f"({i})" in body for i in range(3))
    assert filing.send_batch(config) == []  # already told: not repeated in the grouped email

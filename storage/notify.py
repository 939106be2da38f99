"""MQTT "poll now" notices: after a distribution or withdrawal, each changed unit's devices fetch their manifest.

The broker is optional (``BANTIN_MQTT_URL``, e.g. ``mqtt://127.0.0.1:1883/PREFIX``); the path is a
topic prefix. One QoS 1 message per unit on ``bantin/[PREFIX/]units/<unit_code>/poll`` carries a
small JSON body (reason, bulletin, generation time); it names no content: a device still fetches and
verifies its signed manifest. A broker that cannot be reached changes nothing already stored: the
editor is told, devices learn of the change by long-polling or their next poll.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from storage.errors import StorageError
from storage.models import utcnow

TOPIC_ROOT = "bantin"
CONNECT_TIMEOUT_S = 3.0
PUBLISH_TIMEOUT_S = 10.0


class InvalidMqttUrl(StorageError):
    """BANTIN_MQTT_URL cannot be used."""

    code = "invalid_mqtt_url"


@dataclass(frozen=True)
class Broker:
    """Where notices go: host, port, TLS, credentials and the topic prefix."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    prefix: str = ""

    def unit_topic(self, unit_code: str) -> str:
        """The topic a unit's devices subscribe to."""
        root = f"{TOPIC_ROOT}/{self.prefix}" if self.prefix else TOPIC_ROOT
        return f"{root}/units/{unit_code}/poll"


def parse_mqtt_url(url: str) -> Broker:
    """``mqtt://[user:pass@]host[:1883][/prefix]`` or ``mqtts://`` (TLS, port 8883 by default)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise InvalidMqttUrl(
            f"BANTIN_MQTT_URL {url!r} is not an MQTT address: write mqtt://HOST:1883 (or mqtts://HOST:8883), "
            "optionally with a topic prefix as path; leave it empty to rely on polling",
            f"BANTIN_MQTT_URL {url!r} không phải địa chỉ MQTT: hãy viết mqtt://MÁY:1883 (hoặc mqtts://MÁY:8883), "
            "có thể thêm tiền tố chủ đề làm đường dẫn; để trống nếu thiết bị chỉ hỏi định kỳ",
        )
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise InvalidMqttUrl(
            f"BANTIN_MQTT_URL {url!r} has an invalid port: use a number from 1 to 65535",
            f"BANTIN_MQTT_URL {url!r} có cổng không hợp lệ: dùng số từ 1 đến 65535",
        ) from None
    prefix = parts.path.strip("/")
    if any(c in prefix for c in "#+\0"):
        raise InvalidMqttUrl(
            f"the topic prefix {prefix!r} of BANTIN_MQTT_URL contains an MQTT wildcard (# or +): remove it",
            f"tiền tố chủ đề {prefix!r} trong BANTIN_MQTT_URL chứa ký tự đại diện MQTT (# hoặc +): hãy bỏ đi",
        )
    return Broker(parts.hostname, port, parts.scheme == "mqtts", parts.username, parts.password, prefix)


@dataclass
class PushResult:
    """What the notice did: units notified, or why the broker could not be used (then devices poll)."""

    sent: list[str] = field(default_factory=list)
    configured: bool = True
    error: str = ""
    at: datetime | None = None

    def warning(self) -> str:
        """What the editor must know, in Vietnamese and English; empty when every unit was told."""
        if not self.error:
            return ""
        return (
            f"Không gửi được thông báo MQTT ({self.error}): lịch phát đã được lưu, thiết bị sẽ nhận khi hỏi lại "
            "máy chủ (hỏi chờ hoặc định kỳ); hãy kiểm tra máy chủ MQTT (BANTIN_MQTT_URL) / "
            f"The MQTT notice could not be sent ({self.error}): the schedule is stored and devices get it when they "
            "next ask the gateway (long-poll or regular poll); check the MQTT broker (BANTIN_MQTT_URL)"
        )


def poll_now_payload(*, reason: str, unit_code: str, bulletin_id: int | None, at: datetime) -> bytes:
    """The small JSON body of a notice."""
    body = {
        "type": "poll_now",
        "reason": reason,
        "unit": unit_code,
        "bulletin_id": bulletin_id,
        "at": at.isoformat(),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def publish_poll_now(
    mqtt_url: str, unit_codes: list[str], *, reason: str, bulletin_id: int | None = None
) -> PushResult:
    """Send one QoS 1 "poll now" per unit and wait for the broker's acknowledgements (nothing if no URL)."""
    if not mqtt_url:
        return PushResult(configured=False)
    at = utcnow()
    result = PushResult(at=at)
    if not unit_codes:
        return result
    try:
        broker = parse_mqtt_url(mqtt_url)
    except InvalidMqttUrl as exc:
        result.error = exc.message_en
        return result
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bantin-notify-{time.time_ns()}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    try:
        client.connect(broker.host, broker.port, keepalive=30)
    except (TimeoutError, OSError) as exc:
        result.error = f"{broker.host}:{broker.port}: {exc.strerror or exc}"
        return result
    client.loop_start()
    try:
        pending = [
            (
                code,
                client.publish(
                    broker.unit_topic(code),
                    poll_now_payload(reason=reason, unit_code=code, bulletin_id=bulletin_id, at=at),
                    qos=1,
                ),
            )
            for code in unit_codes
        ]
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        for code, info in pending:
            info.wait_for_publish(timeout=max(0.0, deadline - time.monotonic()))
            if info.is_published():
                result.sent.append(code)
        if len(result.sent) < len(unit_codes):
            result.error = (
                f"{broker.host}:{broker.port} acknowledged {len(result.sent)} of {len(unit_codes)} notices"
            )
    except (OSError, RuntimeError, ValueError) as exc:
        result.error = f"{broker.host}:{broker.port}: {exc}"
    finally:
        client.disconnect()
        client.loop_stop()
    return result


def announce_distribution(mqtt_url: str, distribution) -> str:  # type: ignore[no-untyped-def]
    """Tell the devices of a distribution's changed units to poll now; the editor's notice (composer + MQTT)."""
    push = publish_poll_now(
        mqtt_url, distribution.changed_units, reason="distributed", bulletin_id=distribution.bulletin_id
    )
    return "\n".join(text for text in (distribution.notice(), push.warning()) if text)

"""localstripe, the Stripe stand-in, as tests drive it: started once per run, emptied per test.

It answers the Stripe API for the billing code, serves a Stripe.js stand-in at
/js.stripe.com/v3/, and signs and sends webhooks like Stripe, to whatever URL
a test points them at (about a second after the call that caused them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import REPO_ROOT, free_port, wait_until

SECRET_KEY = "sk_test_todaysmeet"
PUBLISHABLE_KEY = "pk_test_todaysmeet"
WEBHOOK_SECRET = "whsec_todaysmeet_tests"
WEBHOOK_ID = "todaysmeet"
# Loopback only, whatever proxy the environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalStripe:
    def __init__(self, url: str, process: subprocess.Popen | None = None) -> None:
        self.url = url.rstrip("/")
        self.process = process

    @classmethod
    def start(cls, log_path: Path) -> LocalStripe:
        port = free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.localstripe_server", "--port", str(port)],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        instance = cls(f"http://127.0.0.1:{port}", process)
        wait_until(instance.answers, timeout=20, interval=0.05, message=f"localstripe did not start; see {log_path}")
        return instance

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {self.process.returncode}")
        try:
            with _opener.open(self.js_url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """Call it directly, as Stripe's dashboard or clock would act: (parsed body)."""
        request = urllib.request.Request(  # noqa: S310 (our loopback URL)
            self.url + path,
            method=method,
            data=json.dumps(data).encode() if data is not None else None,
            headers={"Authorization": f"Bearer {SECRET_KEY}", "Content-Type": "application/json"},
        )
        with _opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def reset(self) -> None:
        """Forget every object, and send webhooks nowhere."""
        self.request("DELETE", "/_config/data")
        self.send_webhooks_to("http://127.0.0.1:9/unused", events=["none.none"])

    def send_webhooks_to(self, url: str, *, events: list[str] | None = None) -> None:
        config: dict[str, Any] = {"url": url, "secret": WEBHOOK_SECRET}
        if events is not None:
            config["events"] = events
        self.request("POST", f"/_config/webhooks/{WEBHOOK_ID}", config)

    def settings(self, price_id: str = "") -> dict[str, str]:
        """The environment that points the app at this stand-in, as strings (for a server process too)."""
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": self.js_url,
            "STRIPE_PRICE_ID": price_id,
        }

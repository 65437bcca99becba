from __future__ import annotations

from solidarity.accounts.management.commands.serve import SolidarityServer, gunicorn_options


def test_the_server_writes_no_access_log_and_uses_threaded_workers():
    server = SolidarityServer(gunicorn_options("127.0.0.1", 8123, 2, 4))

    assert server.cfg.accesslog is None
    assert server.cfg.worker_class_str == "gthread"
    assert server.cfg.workers == 2
    assert server.cfg.bind == ["127.0.0.1:8123"]
    assert server.cfg.errorlog == "-"


def test_an_ipv6_host_is_bracketed():
    assert gunicorn_options("::1", 8000, 1, 1)["bind"] == "[::1]:8000"

"""load_settings: defaults, every invalid value, all problems at once, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Secret, Settings, SettingsError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl." + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9"
API_KEY = "tt-key-4f1c9e2a7b3d"
OWNER_A = 123456789012345678
OWNER_B = 223456789012345678


def env(**values: str) -> dict[str, str]:
    """The two required secrets plus `values`."""
    return {"DISCORD_TOKEN": TOKEN, "TT_API_KEY": API_KEY, **values}


def problem_names(error: SettingsError) -> list[str]:
    """The variable each problem is about (problems read ``NAME: text``)."""
    return [problem.split(":", 1)[0] for problem in error.problems]


def test_token_fixture_has_the_right_shape() -> None:
    assert len(TOKEN.rsplit(".", 1)[1]) == 38
    assert load_settings(env()).discord_token.get() == TOKEN


def test_defaults_for_every_optional_setting() -> None:
    settings = load_settings(env())
    assert settings.tt_api_key.get() == API_KEY
    assert settings.tt_api_base_url == "https://api.ttapi.io"
    assert settings.database_path == Path("data/mjbot.db")
    assert settings.default_mode == "fast"
    assert settings.max_jobs_in_progress == 10
    assert settings.dev_guild_id is None
    assert settings.owner_ids == frozenset()
    assert settings.log_level == "INFO"
    assert settings.webhook_base_url is None
    assert (settings.webhook_host, settings.webhook_port) == ("0.0.0.0", 8080)  # noqa: S104
    assert settings.webhook_secret is None
    assert settings.poll_interval_scale == 1.0


def test_blank_values_count_as_unset() -> None:
    """An empty line such as ``DEFAULT_MODE=`` in .env falls back to the default."""
    optional = (
        "TT_API_BASE_URL",
        "DATABASE_PATH",
        "DEFAULT_MODE",
        "MAX_JOBS_IN_PROGRESS",
        "DEV_GUILD_ID",
        "OWNER_IDS",
        "ALLOWED_GUILD_IDS",
        "LOG_LEVEL",
        "WEBHOOK_BASE_URL",
        "PUBLIC_BASE_URL",
        "WEBHOOK_BIND",
        "WEBHOOK_SECRET",
        "POLL_INTERVAL_SCALE",
        "LOW_BALANCE_ALERT",
        "PRICES_FILE",
    )
    blanks = dict.fromkeys(optional, "  ")
    assert load_settings(env(**blanks)) == load_settings(env())


def test_valid_values_parse() -> None:
    settings = load_settings(
        env(
            TT_API_BASE_URL="https://proxy.example.org/tt/",
            DATABASE_PATH="/var/lib/mjbot/bot.db",
            DEFAULT_MODE="Relax",
            MAX_JOBS_IN_PROGRESS="1000",
            DEV_GUILD_ID="987654321098765432",
            OWNER_IDS=f"{OWNER_A}, {OWNER_B}",
            LOG_LEVEL="debug",
            WEBHOOK_BASE_URL="http://bot.example.org:8443/",
            WEBHOOK_BIND="127.0.0.1:9000",
            WEBHOOK_SECRET="0123456789abcdef",
            POLL_INTERVAL_SCALE="0.5",
        )
    )
    assert settings.tt_api_base_url == "https://proxy.example.org/tt"
    assert settings.database_path == Path("/var/lib/mjbot/bot.db")
    assert settings.default_mode == "relax"
    assert settings.max_jobs_in_progress == 1000
    assert settings.dev_guild_id == 987654321098765432
    assert settings.owner_ids == frozenset({OWNER_A, OWNER_B})
    assert settings.log_level == "DEBUG"
    assert settings.webhook_base_url == "http://bot.example.org:8443"
    assert (settings.webhook_host, settings.webhook_port) == ("127.0.0.1", 9000)
    assert settings.webhook_secret == Secret("0123456789abcdef")
    assert settings.poll_interval_scale == 0.5


def test_ipv6_bind_loses_its_brackets() -> None:
    settings = load_settings(env(WEBHOOK_BIND="[::1]:8081"))
    assert (settings.webhook_host, settings.webhook_port) == ("::1", 8081)


def test_values_are_stripped() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": f"  {TOKEN}\n",
            "TT_API_KEY": f" {API_KEY} ",
            "OWNER_IDS": f" {OWNER_A} ,",
        }
    )
    assert settings.discord_token.get() == TOKEN
    assert settings.tt_api_key.get() == API_KEY
    assert settings.owner_ids == frozenset({OWNER_A})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_MODE", "slow"),
        ("MAX_JOBS_IN_PROGRESS", "ten"),
        ("MAX_JOBS_IN_PROGRESS", "2.5"),
        ("MAX_JOBS_IN_PROGRESS", "0"),
        ("MAX_JOBS_IN_PROGRESS", "1001"),
        ("DEV_GUILD_ID", "my-server"),
        ("DEV_GUILD_ID", "12345"),
        ("OWNER_IDS", "alice"),
        ("OWNER_IDS", f"{OWNER_A}, bob"),
        ("LOG_LEVEL", "verbose"),
        ("TT_API_BASE_URL", "api.ttapi.io"),
        ("TT_API_BASE_URL", "ftp://api.ttapi.io"),
        ("WEBHOOK_BASE_URL", "bot.example.org"),
        ("WEBHOOK_BASE_URL", "https://"),
        ("WEBHOOK_BIND", "8080"),
        ("WEBHOOK_BIND", ":8080"),
        ("WEBHOOK_BIND", "0.0.0.0:http"),
        ("WEBHOOK_BIND", "0.0.0.0:0"),
        ("WEBHOOK_BIND", "0.0.0.0:65536"),
        ("WEBHOOK_SECRET", "fifteen-chars.."),
        ("POLL_INTERVAL_SCALE", "quick"),
        ("POLL_INTERVAL_SCALE", "0"),
        ("POLL_INTERVAL_SCALE", "11"),
        ("POLL_INTERVAL_SCALE", "nan"),
        ("DISCORD_TOKEN", "not-a-token"),
        ("DISCORD_TOKEN", "1234567890123456789"),
        ("DISCORD_TOKEN", ""),
        ("TT_API_KEY", ""),
    ],
)
def test_each_invalid_value_is_reported(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(**{name: value}))
    assert problem_names(caught.value) == [name]
    assert name in str(caught.value)


def test_missing_secrets_are_both_required() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    assert problem_names(caught.value) == ["DISCORD_TOKEN", "TT_API_KEY"]
    assert all("required" in problem for problem in caught.value.problems)


def test_every_problem_is_reported_at_once() -> None:
    bad = {
        "DEFAULT_MODE": "slow",
        "MAX_JOBS_IN_PROGRESS": "0",
        "LOG_LEVEL": "loud",
        "WEBHOOK_BIND": "nowhere",
        "POLL_INTERVAL_SCALE": "-1",
        "WEBHOOK_SECRET": "short",
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(bad)  # no DISCORD_TOKEN and no TT_API_KEY either
    error = caught.value
    assert len(error.problems) == 8
    assert set(problem_names(error)) == {"DISCORD_TOKEN", "TT_API_KEY", *bad}
    rendered = error.render()
    assert "8 setting(s)" in rendered
    assert all(problem in rendered for problem in error.problems)


def test_each_bad_owner_id_is_a_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(OWNER_IDS=f"x, {OWNER_A}, y"))
    assert problem_names(caught.value) == ["OWNER_IDS", "OWNER_IDS"]


def test_settings_never_show_secrets() -> None:
    webhook_secret = "webhook-secret-0123456789"
    settings = load_settings(env(WEBHOOK_SECRET=webhook_secret))
    shown = [
        repr(settings),
        str(settings),
        f"{settings}",
        f"{settings!r}",
        f"{settings.discord_token}",
        f"{settings.tt_api_key!r}",
        "%s %r" % (settings.tt_api_key, settings.discord_token),  # noqa: UP031
        str([settings.discord_token, settings.webhook_secret]),
    ]
    for text in shown:
        for secret in (TOKEN, API_KEY, webhook_secret):
            assert secret not in text
    assert "Secret('********')" in repr(settings)
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get() == webhook_secret


def test_secret_masks_itself_but_keeps_its_value() -> None:
    secret = Secret("hunter2-hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.get() == "hunter2-hunter2"
    assert secret == Secret("hunter2-hunter2")
    assert secret != Secret("other")
    assert secret != "hunter2-hunter2"
    assert hash(secret) == hash(Secret("hunter2-hunter2"))
    assert secret
    assert not Secret("")


def test_problems_never_echo_a_rejected_secret() -> None:
    """A pasted client secret is rejected without being printed back."""
    pasted = "Zx9-client-secret-not-a-token"
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": pasted, "TT_API_KEY": API_KEY, "WEBHOOK_SECRET": "tiny-s3"})
    assert problem_names(caught.value) == ["DISCORD_TOKEN", "WEBHOOK_SECRET"]
    for text in (str(caught.value), caught.value.render(), repr(caught.value)):
        assert pasted not in text
        assert "tiny-s3" not in text
        assert API_KEY not in text


def test_settings_are_frozen() -> None:
    settings = load_settings(env())
    assert isinstance(settings, Settings)
    with pytest.raises(AttributeError):
        settings.default_mode = "turbo"  # type: ignore[misc]


# --- providers (issue 13) --------------------------------------------------------------------


def test_providers_default_to_the_tt_api_and_keys_split_into_accounts() -> None:
    assert load_settings(env()).providers == ("ttapi",)
    settings = load_settings(env(TT_API_KEY=f" {API_KEY} , tt-second-key-99ab ,"))
    assert [key.get() for key in settings.tt_api_keys] == [API_KEY, "tt-second-key-99ab"]
    assert "tt-second-key-99ab" not in repr(settings)
    assert all(key in settings.secrets() for key in settings.tt_api_keys)


def test_the_demo_needs_no_provider_setting_at_all() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN, "PROVIDERS": "demo"})
    assert settings.providers == ("demo",)
    assert settings.tt_api_keys == ()
    assert settings.acedata_base_url == "https://api.acedata.cloud"


def test_every_provider_in_failover_order() -> None:
    settings = load_settings(
        env(
            PROVIDERS="TTAPI, mjproxy ,acedata,demo",
            MJPROXY_BASE_URL="https://proxy.example.org/fast/",
            MJPROXY_SECRET="proxy-secret-1234",
            ACEDATA_TOKEN="ace-token-5678",
            ACEDATA_BASE_URL="http://127.0.0.1:9/",
        )
    )
    assert settings.providers == ("ttapi", "mjproxy", "acedata", "demo")
    assert settings.mjproxy_base_url == "https://proxy.example.org/fast"
    assert settings.mjproxy_secret == Secret("proxy-secret-1234")
    assert settings.acedata_token == Secret("ace-token-5678")
    assert settings.acedata_base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"PROVIDERS": "ttapi,demo"}, ["TT_API_KEY"]),
        ({"PROVIDERS": "mjproxy"}, ["MJPROXY_BASE_URL"]),
        ({"PROVIDERS": "acedata,mjproxy"}, ["MJPROXY_BASE_URL", "ACEDATA_TOKEN"]),
        ({"PROVIDERS": "ttapi,midjourney"}, ["PROVIDERS", "TT_API_KEY"]),
        ({"PROVIDERS": "demo,demo"}, ["PROVIDERS"]),
    ],
)
def test_a_listed_provider_without_its_settings_is_named(
    values: dict[str, str], missing: list[str]
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": TOKEN, **values})
    assert sorted(problem_names(caught.value)) == sorted(missing)


# -- credit budgets (issue 16) ----------------------------------------------------------------


def test_low_balance_alert_and_prices_file(tmp_path: Path) -> None:
    defaults = load_settings(env())
    assert defaults.low_balance_alert == 0.0
    assert defaults.prices_file == Path("data/prices.json")  # next to the database
    prices = tmp_path / "prices.json"
    prices.write_text('{"ttapi": {"prices": {"imagine": 4}}}')

    settings = load_settings(env(LOW_BALANCE_ALERT=" 25.5 ", PRICES_FILE=str(prices)))

    assert (settings.low_balance_alert, settings.prices_file) == (25.5, prices)
    other = load_settings(env(DATABASE_PATH=str(tmp_path / "db" / "x.db")))
    assert other.prices_file == tmp_path / "db" / "prices.json"


@pytest.mark.parametrize("value", ["lots", "-1", "nan", "inf"])
def test_a_bad_low_balance_alert_is_reported(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(LOW_BALANCE_ALERT=value))
    assert problem_names(caught.value) == ["LOW_BALANCE_ALERT"]


def test_a_broken_prices_file_is_reported_with_the_reason(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text('{"ttapi": {"prices": {"imagine": "cheap"}}}')

    with pytest.raises(SettingsError) as caught:
        load_settings(env(PRICES_FILE=str(prices), LOW_BALANCE_ALERT="x"))

    assert problem_names(caught.value) == ["LOW_BALANCE_ALERT", "PRICES_FILE"]
    assert "“ttapi.prices.imagine” must be a number" in str(caught.value)


def test_allowed_guild_ids() -> None:
    assert load_settings(env()).allowed_guild_ids == frozenset()  # empty: every server
    settings = load_settings(env(ALLOWED_GUILD_IDS=f" {OWNER_A},{OWNER_B} ,"))
    assert settings.allowed_guild_ids == frozenset({OWNER_A, OWNER_B})


def test_allowed_guild_ids_must_be_discord_ids() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(ALLOWED_GUILD_IDS="my-server, 42"))
    assert problem_names(caught.value) == ["ALLOWED_GUILD_IDS", "ALLOWED_GUILD_IDS"]


def test_public_base_url_sets_where_the_web_server_is_reached() -> None:
    settings = load_settings(env(PUBLIC_BASE_URL="https://mj.example.org/"))
    assert settings.public_base_url == "https://mj.example.org"
    assert settings.webhook_base_url == "https://mj.example.org"  # the old name still reads


def test_webhook_base_url_is_an_alias_of_public_base_url() -> None:
    settings = load_settings(env(WEBHOOK_BASE_URL="https://mj.example.org"))
    assert settings.public_base_url == "https://mj.example.org"
    both = load_settings(
        env(PUBLIC_BASE_URL="https://mj.example.org", WEBHOOK_BASE_URL="https://mj.example.org/")
    )
    assert both.public_base_url == "https://mj.example.org"


def test_public_and_webhook_base_urls_that_disagree_are_a_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            env(PUBLIC_BASE_URL="https://a.example.org", WEBHOOK_BASE_URL="https://b.example.org")
        )
    assert problem_names(caught.value) == ["PUBLIC_BASE_URL"]
    assert "set one" in caught.value.problems[0]


def test_a_bad_public_base_url_is_a_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(PUBLIC_BASE_URL="mj.example.org"))
    assert problem_names(caught.value) == ["PUBLIC_BASE_URL"]

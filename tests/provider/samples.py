"""Recorded TT API payloads, copied from the docs (see the API notes, sections 2-4 and 10).

Each sample keeps the quirks of its source: old-docs `data.actions` and `seed: ""`, `data: []`
while pending or failed, a real FAILED sample full of nulls, new-docs `quota: "2"` and
`hookUrl: null`. Ids the docs elide with "…" are filled in with made-up UUIDs.
"""

from __future__ import annotations

from typing import Any, Final

OLD_JOB_ID: Final = "f5850038-90a3-8a97-0476-107ea4b8dac4"
NEW_JOB_ID: Final = "c679a92e-5d6b-4b8e-9a37-0d8e2c1f4b21"
FAILED_JOB_ID: Final = "f6a5a78d-2c3b-4e1f-8a9d-7b6c5d4e3f21"
DESCRIBE_JOB_ID: Final = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"

OLD_PROMPT: Final = (
    "Soccer star Max Kruse and Jan-Peter Jachtmann victims of €528,695 poker scam, German soccer "
    "star Max Kruse and WSOP Main Event finalist Jan-Peter Jachtmann are among the players who "
    "have been swindled out of €528,695., poker, realistic --ar 1280:720"
)
OLD_DISCORD_IMAGE: Final = (
    "https://cdn.discordapp.com/attachments/1107938555931656214/1176340921227423844/"
    "voyagel_Soccer_star_Max_Kruse_and_Jan-Peter_Jachtmann_victims_o_c513a87b-eed3-4a3b-ab97-"
    "6be4dbc3ea99.png?ex=656e83da&is=655c0eda&hm=6e06a1dec3c6c1be209799884681969878eabb81ce81f8"
    "db22d54480379fcd9b&"
)
OLD_CDN_IMAGE: Final = "http://127.0.0.1/8080/pics/452020f2-6793-4525-a1b5-472cac439610.png"
OLD_IMAGES: Final = [
    f"https://cdnb.ttapi.io/2024-04-02/{digest}.png"
    for digest in (
        "27024084bcd54b1c38d085d11d8dc841037a2262ebeda29b3f67b741441f6736",
        "e15e39f6eb39191fdf3f176f8c979b6e57254114a8bfea826e30f23850d0d485",
        "4b7910497a0d79d0155cd8b33eea313425cf2b809efef4b6ba3960aa1c2bd484",
        "98b162a1da713eef23c3cfd5f166aee8e4ee09f8cf1f7bbc24bf72990eb80adf",
    )
]
OLD_COMPONENTS: Final = [
    "upsample1",
    "upsample2",
    "upsample3",
    "upsample4",
    "variation1",
    "variation2",
    "variation3",
    "variation4",
]
NEW_COMPONENTS: Final = [
    "upsample1",
    "upsample2",
    "upsample3",
    "upsample4",
    "reroll",
    "variation1",
    "variation2",
    "variation3",
    "variation4",
]
NEW_CDN_IMAGE: Final = (
    "https://cdn.ttapi.io/midjourney/2025-11-14/20260302_050724_554d43430e2e80dd.png"
)
NEW_IMAGES: Final = [
    f"https://cdn.ttapi.io/midjourney/20260302/bf839f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f{part}.png"
    for part in ("tl", "tr", "bl", "br")
]

# --- submit answers (section 2 and 3.1) ---------------------------------------------------

SUBMIT_OK_JOB_ID: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "message": "success",
    "data": {"jobId": "b8bd3ff0-4349-4b71-8938-5e13aefa64fe"},
}
SUBMIT_OK_OLD: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "message": "",
    "data": {"jobId": "afa774a3-1aee-5aba-4510-14818d6875e4"},
}
SUBMIT_OK_SNAKE: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "message": "success",
    "data": {"job_id": "0123456789abcdef0123456789abcdef"},
}
BANNED_400: Final[dict[str, Any]] = {
    "status": "FAILED",
    "message": "banned prompt words :sexy",
    "data": {},
}
AUTH_401: Final[dict[str, Any]] = {
    "status": "FAILED",
    "message": "Wrong TT-API-KEY or email is not activated.",
}
PARAMETER_ERROR: Final[dict[str, Any]] = {
    "status": "FAILED",
    "message": "Parameter error",
    "data": None,
}

# --- fetch answers / callback bodies (section 4) -------------------------------------------

OLD_SUCCESS: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "jobId": OLD_JOB_ID,
    "message": "success",
    "data": {
        "actions": "imagine",
        "jobId": OLD_JOB_ID,
        "progress": "100",
        "prompt": OLD_PROMPT,
        "discordImage": OLD_DISCORD_IMAGE,
        "cdnImage": OLD_CDN_IMAGE,
        "hookUrl": "",
        "components": OLD_COMPONENTS,
        "seed": "",
        "images": OLD_IMAGES,
    },
}

PENDING_QUEUE: Final[dict[str, Any]] = {
    "status": "PENDING_QUEUE",
    "jobId": OLD_JOB_ID,
    "message": "",
    "data": [],
}

ON_QUEUE: Final[dict[str, Any]] = {
    "status": "ON_QUEUE",
    "jobId": OLD_JOB_ID,
    "message": "",
    "data": {
        "actions": "imagine",
        "jobId": OLD_JOB_ID,
        "progress": "100",
        "prompt": OLD_PROMPT,
        "discordImage": OLD_DISCORD_IMAGE,
        "cdnImage": OLD_CDN_IMAGE,
        "hookUrl": "",
        "components": [],
        "seed": None,
        "images": None,
    },
}

OLD_FAILED: Final[dict[str, Any]] = {
    "status": "FAILED",
    "jobId": OLD_JOB_ID,
    "message": "failed",
    "data": [],
}

# The real FAILED sample from the Chinese FAQ, kept as the JSON text it was recorded as.
REAL_FAILED_PROMPT: Final = "Mermaid-tailed baby vampire, cute, pastel gothic --ar 1:1"
REAL_FAILED_JSON: Final = (
    '{"status":"FAILED","message":"[Bad response] Internal Error.",'
    f'"jobId":"{FAILED_JOB_ID}",'
    f'"data":{{"action":"imagine","jobId":"{FAILED_JOB_ID}","progress":null,'
    f'"prompt":"{REAL_FAILED_PROMPT}","discordImage":null,"cdnImage":null,'
    '"hookUrl":"http://apis.mjapiapp.com/mj/notify/tt-api",'
    '"components":null,"seed":null,"images":null}}'
)

NEW_SUCCESS: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "message": "",
    "jobId": NEW_JOB_ID,
    "data": {
        "action": "imagine",
        "jobId": NEW_JOB_ID,
        "progress": "100",
        "prompt": "a cat",
        "quota": "2",
        "discordImage": NEW_CDN_IMAGE,
        "cdnImage": NEW_CDN_IMAGE,
        "width": 1024,
        "height": 1024,
        "hookUrl": None,
        "components": NEW_COMPONENTS,
        "seed": None,
        "images": NEW_IMAGES,
    },
}

DESCRIBE_PROMPTS: Final = (
    "a fluffy orange cat sitting on a windowsill, soft morning light --ar 5:4",
    "an orange tabby cat portrait, watercolor style, pastel colors --ar 5:4",
    "a cute ginger kitten looking outside, cinematic lighting, 35mm photo --ar 5:4",
    "a cat by the window, minimalist illustration, warm tones --ar 5:4",
)
DESCRIBE_TEXT: Final = "\n\n".join(
    f"{n}\ufe0f\u20e3 {prompt}" for n, prompt in enumerate(DESCRIBE_PROMPTS, start=1)
)
DESCRIBE_SUCCESS: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "message": "",
    "jobId": DESCRIBE_JOB_ID,
    "data": {
        "action": "describe",
        "jobId": DESCRIBE_JOB_ID,
        "progress": "100",
        "prompt": DESCRIBE_TEXT,
        "quota": "1",
        "discordImage": "https://cdn.ttapi.io/midjourney/20260302/describe-upload.png",
        "cdnImage": "https://cdn.ttapi.io/midjourney/20260302/describe-upload.png",
        "hookUrl": None,
        "components": [],
        "seed": None,
        "images": None,
    },
}
# The midjourney-proxy docs' own example of the describe text (keycaps, blank lines).
NZK_DESCRIBE_TEXT: Final = "1️⃣ Cat --ar 5:4\n\n2️⃣ Cat2 --ar 5:4\n\n3️⃣ Cat3 --ar 5:4\n\n4️⃣ Cat4 --ar 5:4"

# `data` in the shapes the sources disagree on, under an otherwise normal running job.
DATA_NULL: Final[dict[str, Any]] = {
    "status": "ON_QUEUE",
    "jobId": OLD_JOB_ID,
    "message": "",
    "data": None,
}
DATA_EMPTY_OBJECT: Final[dict[str, Any]] = {
    "status": "ON_QUEUE",
    "jobId": OLD_JOB_ID,
    "message": "",
    "data": {},
}

# `progress` as the sources write it: string, integer, float, percent, null.
PROGRESS_VARIANTS: Final[list[tuple[Any, int | None]]] = [
    ("37", 37),
    (37, 37),
    (37.5, 37),
    ("37%", 37),
    (None, None),
]


def running_with_progress(progress: Any) -> dict[str, Any]:
    """An ON_QUEUE payload (new-docs field names) carrying `progress`."""
    return {
        "status": "ON_QUEUE",
        "jobId": NEW_JOB_ID,
        "message": "",
        "data": {
            "action": "imagine",
            "jobId": NEW_JOB_ID,
            "progress": progress,
            "prompt": "a cat",
            "discordImage": None,
            "cdnImage": None,
            "hookUrl": None,
            "components": [],
            "seed": None,
            "images": None,
        },
    }


# --- account (section 3.8) ------------------------------------------------------------------

ACCOUNT_INFO: Final[dict[str, Any]] = {
    "status": "SUCCESS",
    "data": {
        "email": "owner@example.com",
        "email_verified_at": "2024-01-01 00:00:00",
        "balance": 10,
        "freeze_balance": 0,
        "max_queue": 5,
        "created_at": "2024-01-01 00:00:00",
    },
    "message": "success",
}

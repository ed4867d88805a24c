"""Document files on S3, for real: a moto server on loopback, reached through boto3."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ValidationError

from documents import services
from documents.models import Document
from tests.documents.conftest import pdf_upload

pytestmark = pytest.mark.django_db
BUCKET = "civis-documents"
KEYS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "eu-west-3",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    binary = Path(sys.executable).with_name("moto_server")
    if not binary.exists() and shutil.which("moto_server") is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    process = subprocess.Popen(
        [str(binary if binary.exists() else "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto_server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, **KEYS)
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": KEYS["region_name"]}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": KEYS["region_name"],
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_uploads_land_in_the_private_bucket_and_download_through_the_check(
    s3, s3_endpoint, client, territory, publish
):
    document = publish(title="Budget sur S3", upload=pdf_upload("Budget", "Écoles et voirie."))
    keys = _keys(s3)
    assert keys == [document.current_version.file.name]
    assert (
        s3.get_object_acl(Bucket=BUCKET, Key=keys[0])["Grants"][0]["Permission"] == "FULL_CONTROL"
    )
    # No public object URL: an anonymous HTTP GET on the object is refused by S3 itself.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{keys[0]}", timeout=5)  # noqa: S310
    assert refused.value.code == 403

    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert body.startswith(b"%PDF-")


def test_a_non_public_document_on_s3_answers_404_to_strangers(s3, client, territory, publish):
    document = publish("internal", title="Note interne sur S3")
    assert client.get(f"/documents/{document.pk}/telecharger").status_code == 404
    client.force_login(territory.agent)
    assert client.get(f"/documents/{document.pk}/telecharger").status_code == 200


def test_a_rejected_upload_leaves_the_bucket_empty(s3, territory):
    with pytest.raises(ValidationError):
        services.document_create(
            actor=territory.publisher,
            owner=territory.merignac,
            title="Faux PDF",
            upload=services.Upload(io.BytesIO(b"\x7fELF\x02\x01"), "arrete.pdf"),
        )
    assert _keys(s3) == []
    assert Document.objects.count() == 0


def test_a_new_version_on_s3_keeps_the_old_object(s3, territory, publish):
    document = publish()
    services.document_replace_file(
        actor=territory.publisher,
        document=document,
        upload=pdf_upload("Version 2", "Nouveau texte."),
    )
    assert len(_keys(s3)) == 2

"""Evidence uploads: only PDF, PNG and JPEG up to 10 MB, judged by content; a refused file leaves nothing
behind; an accepted one is stored outside the static root and downloads only for those who may see the
referral, each download audited as a disclosure."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertRedirects
from reportlab.pdfgen import canvas

from cases.events import EventCode
from cases.models import CaseEvent
from offenderhub.audit.models import AuditAction, AuditEvent
from referrals.models import Evidence, EvidenceKind

MB = 1024 * 1024


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads go to a temporary directory, so a test can see exactly what was written to disk."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def _stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def _certificate_pdf() -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    document.drawString(72, 720, "Compass Recovery Service: certificate of attendance")
    document.showPage()
    document.save()
    return buffer.getvalue()


def _upload(client, referral, name, content, content_type="application/pdf"):
    return client.post(
        reverse("referrals:upload", args=[referral.pk]),
        {
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "kind": EvidenceKind.CERTIFICATE,
            "description": "Certificate for the first session",
        },
    )


def _download(client, evidence):
    """The response and its body. Reading the whole stream lets the test client close the file."""
    response = client.get(reverse("referrals:evidence", args=[evidence.pk]))
    content = b"".join(response.streaming_content) if response.streaming else b""
    return response, content


def _disclosures(evidence, user=None):
    rows = AuditEvent.objects.for_record(evidence).filter(action=AuditAction.DISCLOSED)
    if user is not None:
        rows = rows.filter(actor=user)
    return rows


# --- Refused files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "certificate.pdf",
            b"%PDF-1.4\n" + b"0" * (12 * MB),
            "The file is 12.0 MB: the largest allowed is 10 MB.",
            id="12 MB",
        ),
        pytest.param(
            "certificate.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 4096,
            "The file must be a PDF, PNG or JPEG.",
            id="executable renamed .pdf",
        ),
        pytest.param(
            "certificate.exe",
            b"%PDF-1.4\n%%EOF\n",
            "The file's name does not match what it contains.",
            id="pdf named .exe",
        ),
    ],
)
def test_refused_upload_says_why_and_stores_nothing(
    client_for, accepted_referral, practitioner, media_root, name, content, message
):
    response = _upload(client_for(practitioner), accepted_referral, name, content)

    assert response.status_code == 400
    assertContains(response, escape(message), status_code=400)
    assert not Evidence.objects.exists()
    assert _stored_files(media_root) == []
    assert not CaseEvent.objects.filter(code=EventCode.EVIDENCE_UPLOADED).exists()


def test_file_just_over_the_limit_is_refused(
    client_for, accepted_referral, practitioner, media_root, settings
):
    content = b"%PDF-1.4\n" + b"0" * settings.EVIDENCE_MAX_BYTES

    response = _upload(client_for(practitioner), accepted_referral, "certificate.pdf", content)

    assert response.status_code == 400
    assert not Evidence.objects.exists()
    assert _stored_files(media_root) == []


# --- An accepted file -----------------------------------------------------------------------------
@pytest.fixture
def certificate(client_for, accepted_referral, practitioner, media_root):
    """A real PDF the practitioner uploaded through the page; returns the evidence and its bytes."""
    content = _certificate_pdf()

    response = _upload(client_for(practitioner), accepted_referral, "certificate.pdf", content)

    assertRedirects(response, reverse("referrals:detail", args=[accepted_referral.pk]) + "#evidence")
    return Evidence.objects.get(referral=accepted_referral), content


def test_pdf_upload_is_stored_privately_with_its_checksum(certificate, media_root, settings, practitioner):
    evidence, content = certificate

    assert evidence.content_type == "application/pdf"
    assert evidence.original_name == "certificate.pdf"
    assert evidence.size == len(content)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.uploaded_by == practitioner
    [stored] = _stored_files(media_root)
    assert stored.read_bytes() == content
    assert stored.name != "certificate.pdf"  # a random name, never the one uploaded
    assert settings.STATIC_ROOT is None or str(settings.STATIC_ROOT) not in str(stored)


def test_pdf_upload_is_on_the_timeline_as_the_partners_and_audited(certificate, agency, practitioner):
    evidence, _ = certificate

    [event] = CaseEvent.objects.filter(code=EventCode.EVIDENCE_UPLOADED)
    assert event.actor == practitioner
    assert event.actor_organisation == agency
    assert event.details["evidence"] == evidence.pk
    assert (
        AuditEvent.objects.for_record(evidence)
        .filter(action=AuditAction.CREATED, actor=practitioner)
        .exists()
    )


@pytest.mark.parametrize("who", ["case_worker", "partner_manager", "practitioner"])
def test_document_downloads_for_the_police_and_the_agency_and_is_audited(
    request, client_for, certificate, who
):
    evidence, content = certificate
    user = request.getfixturevalue(who)

    response, body = _download(client_for(user), evidence)

    assert response.status_code == 200
    assert body == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "certificate.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    [disclosure] = _disclosures(evidence, user)
    assert disclosure.action == "disclosed"
    assert disclosure.actor_organisation_id == user.organisation_id
    assert user.email in disclosure.recipient
    assert disclosure.owner_organisation == evidence.referral.case.force


def test_every_download_is_audited(client_for, certificate, case_worker):
    evidence, _ = certificate
    client = client_for(case_worker)

    _download(client, evidence)
    _download(client, evidence)

    assert _disclosures(evidence, case_worker).count() == 2


@pytest.mark.parametrize("who", ["other_partner_manager", "other_practitioner", "colleague_practitioner"])
def test_document_is_404_for_those_who_may_not_see_the_referral(request, client_for, certificate, who):
    evidence, _ = certificate
    user = request.getfixturevalue(who)

    response, body = _download(client_for(user), evidence)

    assert response.status_code == 404
    assert body == b""
    assert not _disclosures(evidence).exists()


def test_document_is_404_for_another_force(client_for, certificate, outsider_supervisor):
    evidence, _ = certificate

    response, _ = _download(client_for(outsider_supervisor), evidence)

    assert response.status_code == 404
    assert not _disclosures(evidence).exists()


def test_partner_b_cannot_upload_to_partner_as_referral(
    client_for, accepted_referral, other_partner_manager, media_root
):
    response = _upload(
        client_for(other_partner_manager), accepted_referral, "certificate.pdf", _certificate_pdf()
    )

    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert _stored_files(media_root) == []

"""A PDF that could act on the computer of whoever opens it is refused, saying why; a damaged or
locked one too; an ordinary one is stored and served only as a download. Each PDF is built here with
pypdf."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from pytest_django.asserts import assertContains

from referrals.models import Evidence, EvidenceKind
from referrals.pdf_safety import pdf_active_content


def _pdf(dress=None, password=None) -> bytes:
    """A one-page PDF; ``dress(writer, page)`` adds whatever the test is about."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    if dress is not None:
        dress(writer, page)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _action(kind, **entries):
    return DictionaryObject(
        {NameObject("/S"): NameObject(kind), **{NameObject(k): v for k, v in entries.items()}}
    )


def _document_javascript(writer, page):
    """A script in the document's name tree, run when it opens."""
    script = writer._add_object(_action("/JavaScript", **{"/JS": TextStringObject("app.alert('hello');")}))
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("greeting"), script])}
            )
        }
    )


def _open_action_javascript(writer, page):
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/JavaScript", **{"/JS": TextStringObject("app.alert(1)")}
    )


def _open_action_launch(writer, page):
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/Launch", **{"/F": TextStringObject("calc.exe")}
    )


def _page_additional_action(writer, page):
    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", **{"/JS": TextStringObject("this.print()")})}
    )


def _attachment(writer, page):
    writer.add_attachment("notes.txt", b"hello")


def _rich_media(writer, page):
    page[NameObject("/Annots")] = ArrayObject(
        [
            writer._add_object(
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Annot"),
                        NameObject("/Subtype"): NameObject("/RichMedia"),
                        NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                    }
                )
            )
        ]
    )


def _xfa_form(writer, page):
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): ArrayObject()}
    )


def _go_to_first_page(writer, page):
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [page.indirect_reference, NameObject("/Fit")]
    )


def _web_link(writer, page):
    writer.add_uri(0, "https://www.gov.uk/", [10, 10, 100, 30])


@pytest.mark.parametrize(
    ("dress", "found"),
    [
        (_document_javascript, "JavaScript"),
        (_open_action_javascript, "JavaScript"),
        (_page_additional_action, "JavaScript"),
        (_open_action_launch, "an action that starts another program"),
        (_attachment, "an attached file"),
        (_rich_media, "embedded multimedia"),
        (_xfa_form, "an XFA form"),
    ],
)
def test_active_content_is_found(dress, found):
    assert pdf_active_content(io.BytesIO(_pdf(dress))) == [found]


@pytest.mark.parametrize("dress", [None, _go_to_first_page, _web_link])
def test_ordinary_pdfs_have_no_active_content(dress):
    assert pdf_active_content(io.BytesIO(_pdf(dress))) == []


def test_a_name_written_in_hex_escapes_is_still_found():
    content = _pdf(_open_action_javascript).replace(b"/JavaScript", b"/J#61vaScript")

    assert pdf_active_content(io.BytesIO(content)) == ["JavaScript"]


def test_two_kinds_are_named_together():
    def both(writer, page):
        _document_javascript(writer, page)
        _attachment(writer, page)

    assert pdf_active_content(io.BytesIO(_pdf(both))) == ["JavaScript", "an attached file"]


# --- Through the upload page ---------------------------------------------------------------------------
@pytest.fixture
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def _upload(client, referral, content, name="certificate.pdf"):
    return client.post(
        reverse("referrals:upload", args=[referral.pk]),
        {
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "kind": EvidenceKind.CERTIFICATE,
            "description": "",
        },
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            lambda: _pdf(_document_javascript),
            "The PDF contains JavaScript, which could run on the computer of whoever opens it. "
            "Print it to a new PDF, or scan the paper copy, and upload that instead.",
            id="javascript",
        ),
        pytest.param(
            lambda: _pdf(_open_action_launch),
            "The PDF contains an action that starts another program",
            id="launch",
        ),
        pytest.param(lambda: _pdf(_attachment), "The PDF contains an attached file", id="attachment"),
        pytest.param(
            lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not a PDF\n%%EOF\n",
            "The PDF could not be read: it may be damaged.",
            id="malformed",
        ),
        pytest.param(lambda: _pdf(password="secret"), "The PDF is protected with a password.", id="password"),
    ],
)
def test_an_unsafe_pdf_is_refused_on_the_form_and_nothing_is_stored(
    client_for, accepted_referral, practitioner, media_root, content, message
):
    response = _upload(client_for(practitioner), accepted_referral, content())

    assert response.status_code == 400
    assertContains(response, escape(message), status_code=400)
    assert not Evidence.objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_an_ordinary_pdf_is_accepted_and_served_only_as_an_attachment(
    client_for, accepted_referral, practitioner, case_worker, media_root
):
    content = _pdf(_web_link)
    assert _upload(client_for(practitioner), accepted_referral, content).status_code == 302
    evidence = Evidence.objects.get()

    response = client_for(case_worker).get(reverse("referrals:evidence", args=[evidence.pk]))

    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


# --- The audit log keeps no file name ----------------------------------------------------------------
def _audit_text():
    from offenderhub.audit.models import AuditEvent

    rows = AuditEvent.objects.values_list(
        "object_label", "reason", "changes", "recipient", "path", "actor_label", "user_agent"
    )
    return " ".join(str(value) for row in rows for value in row)


def test_an_uploaded_files_name_is_nowhere_in_the_audit_log(
    client_for, accepted_referral, practitioner, case_worker, media_root
):
    content = _pdf()
    response = client_for(practitioner).post(
        reverse("referrals:upload", args=[accepted_referral.pk]),
        {
            "file": SimpleUploadedFile("Jane Doe statement.pdf", content, content_type="application/pdf"),
            "kind": EvidenceKind.LETTER,
            "description": "Letter from Jane Doe's GP",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    client_for(case_worker).get(reverse("referrals:evidence", args=[evidence.pk]))

    from offenderhub.audit.models import AuditAction, AuditEvent

    labels = set(AuditEvent.objects.for_record(evidence).values_list("object_label", flat=True))
    assert labels == {f"Evidence {evidence.pk} (PDF, 1 KB) on referral {accepted_referral.pk}"}
    assert AuditEvent.objects.for_record(evidence).filter(action=AuditAction.DISCLOSED).exists()
    assert "Jane" not in _audit_text()
    assert evidence.original_name == "Jane Doe statement.pdf"  # kept with the evidence, which can be erased

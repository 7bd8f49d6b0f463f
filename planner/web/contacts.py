"""Contacts: the searchable list, by city, typed in and edited, imported from a file (with the
column mapping of a generic CSV) and exported as CSV."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from planner import db
from planner.contactbook import (
    TIES,
    ContactError,
    add_contact,
    contact_of,
    contacts_by_city,
    export_contacts_csv,
    remove_contact,
    search_contacts,
    search_query,
    update_contact,
)
from planner.contacts import ContactsError, Parsed, csvfile, parse_contacts
from planner.geocode import enqueue_geocode
from planner.models import Contact, User
from planner.people import (
    MAX_TEXT,
    ColumnsToMap,
    WaitingUploads,
    import_contacts,
    read_export,
    remember_mapping,
)
from planner.recommend import enqueue_evidence
from planner.web.viewer import viewer

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
log = logging.getLogger(__name__)

FORMAT_CHOICES = {
    "": "Tell from the content",
    "linkedin": "LinkedIn Connections.csv",
    "vcard": "vCard (.vcf): Google, Apple, Outlook",
    "mastodon": "Mastodon follows (.csv)",
    "csv": "Another CSV (choose its columns)",
}
FIELD_LABELS = {
    "name": "Full name", "first_name": "First name", "last_name": "Last name", "email": "Email",
    "company": "Company", "title": "Job title", "city": "City", "url": "Profile or web address",
    "x": "X / Twitter handle", "github": "GitHub user", "mastodon": "Mastodon address",
    "tags": "Tags, interests", "notes": "Notes",
}  # fmt: skip
COLUMN_CHOICES = {"": "(leave out)"} | {f: FIELD_LABELS[f] for f in csvfile.FIELDS}
TIE_CHOICES = {tie: tie.capitalize() for tie in TIES}
SHOWN_SKIPS = 100


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired()], render_kw={"maxlength": MAX_TEXT})
    emails = TextAreaField("Emails", render_kw={"rows": 2})
    handles = TextAreaField("Handles", render_kw={"rows": 2})
    urls = TextAreaField("Profile and web addresses", render_kw={"rows": 2})
    company = StringField("Company", render_kw={"maxlength": MAX_TEXT})
    title = StringField("Title", render_kw={"maxlength": MAX_TEXT})
    city = StringField("City", render_kw={"maxlength": MAX_TEXT})
    tags = StringField("Tags and interests")
    tie = SelectField("Tie", choices=TIE_CHOICES, default="regular")
    last_met = DateField("Last met", validators=[Optional()])
    notes = TextAreaField("Notes", render_kw={"rows": 4, "maxlength": 10_000})


class SearchForm(FlaskForm):
    """The list's filters: a GET form, so no CSRF token (it would leak into addresses)."""

    class Meta:
        csrf = False

    q = StringField("Search")
    city = StringField("City")
    tie = SelectField("Tie", choices={"": "Any tie"} | TIE_CHOICES)


class ImportForm(FlaskForm):
    file = FileField(
        "Contacts file",
        validators=[FileRequired("Choose a file to import.")],
        render_kw={"accept": ".csv,.vcf,.vcard,.txt,text/csv,text/vcard"},
    )
    format = SelectField("Format", choices=FORMAT_CHOICES, default="")


class ButtonForm(FlaskForm):
    """Only the CSRF token."""


@bp.get("/")
def index() -> str:
    session = db.session()
    form = SearchForm(request.args)
    q, city, tie = form.q.data or "", form.city.data or "", form.tie.data or None
    page = search_contacts(session, viewer(session), q, city, tie, request.args.get("page", 1, int))
    filters = {k: v for k, v in (("q", q), ("city", city), ("tie", tie)) if v}
    return render_template("contacts/index.html", form=form, found=page, filters=filters)


@bp.get("/cities")
def cities() -> str:
    session = db.session()
    groups, without = contacts_by_city(session, viewer(session))
    return render_template("contacts/cities.html", groups=groups, without=without)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = ContactForm()
    if not form.validate_on_submit():
        return _form_page(form, None)
    try:
        contact = add_contact(session, user, form.data, datetime.now(UTC))
    except ContactError as exc:
        return _form_page(form, None, exc)
    session.commit()
    _geocode_if_needed(user, contact)
    flash(f"Added {contact.name}.", "ok")
    return redirect(url_for("contacts.index"))


@bp.route("/<int:contact_id>", methods=["GET", "POST"])
def edit(contact_id: int) -> Response | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    contact = contact_of(session, user, contact_id)
    if contact is None:
        abort(404)
    form = ContactForm(obj=_as_text(contact))  # a POST's form data takes precedence
    if not form.validate_on_submit():
        return _form_page(form, contact)
    try:
        update_contact(session, user, contact, form.data, datetime.now(UTC))
    except ContactError as exc:
        session.rollback()
        return _form_page(form, contact, exc)
    session.commit()
    _geocode_if_needed(user, contact)
    flash(f"Saved {contact.name}.", "ok")
    return redirect(url_for("contacts.index"))


@bp.post("/<int:contact_id>/remove")
def remove(contact_id: int) -> Response:
    session = db.session()
    contact = contact_of(session, viewer(session), contact_id)
    if contact is None or not ButtonForm().validate_on_submit():
        abort(404)
    name, owner_id = contact.name, contact.owner_id
    remove_contact(session, contact)
    session.commit()
    enqueue_evidence(owner_id)
    flash(f"Removed {name}.", "ok")
    return redirect(url_for("contacts.index"))


def _as_text(contact: Contact) -> SimpleNamespace:
    """The contact as the form shows it: lists one item a line, tags separated by commas."""
    lists = {key: "\n".join(getattr(contact, key) or []) for key in ("emails", "handles", "urls")}
    same = ("name", "company", "title", "city", "tie", "notes", "last_met")
    tags = ", ".join(contact.tags or [])
    return SimpleNamespace(**lists, **{key: getattr(contact, key) for key in same}, tags=tags)


def _form_page(
    form: ContactForm, contact: Contact | None, error: ContactError | None = None
) -> tuple[str, int]:
    if error is not None:
        for key, message in error.errors.items():
            getattr(form, key).errors = [message]
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "contacts/form.html", form=form, contact=contact, remove_form=ButtonForm()
    )
    return page, status


def _geocode_if_needed(user: User, contact: Contact) -> None:
    """After a change: place a new city on the map, then work out again where each contact
    may be met (the geocoding job does that itself once the city is placed)."""
    if contact.city and contact.geocoded_at is None:
        enqueue_geocode("contacts", user.id)
    else:
        enqueue_evidence(user.id)


@bp.route("/import", methods=["GET", "POST"])
def import_() -> Response | str | tuple[str, int]:
    session = db.session()
    user = viewer(session)
    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("contacts/import.html", form=form), status
    data = _read_upload(form.file.data)
    if data is None:
        return too_large(None)
    try:
        found = read_export(user, data, form.format.data or None)
    except ContactsError as exc:
        form.file.errors = [f"{form.file.data.filename or 'This file'}: {exc}"]
        return render_template("contacts/import.html", form=form), 400
    if isinstance(found, ColumnsToMap):
        return redirect(url_for("contacts.columns", token=_uploads().put(user.id, data)))
    return _run_import(session, user, found)


@bp.route("/import/<token>", methods=["GET", "POST"])
def columns(token: str) -> Response | str | tuple[str, int]:
    """The mapping step: which contact field each column of a generic CSV holds."""
    session = db.session()
    user = viewer(session)
    data = _uploads().get(user.id, token)
    if data is None:
        flash("That upload has expired: choose the file again.", "info")
        return redirect(url_for("contacts.import_"))
    found = read_export(user, data, "csv")
    if not isinstance(found, ColumnsToMap):  # mapped meanwhile, in another tab
        return _run_import(session, user, found, token)
    form = _mapping_form(found)
    if form.validate_on_submit():
        mapping = {name: form[f"column_{i}"].data or "" for i, name in enumerate(found.header)}
        try:
            remember_mapping(user, found.header, mapping)
            parsed = parse_contacts(data, "csv", mapping)
        except ContactsError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            return _run_import(session, user, parsed, token)
    status = 400 if request.method == "POST" else 200
    page = render_template("contacts/columns.html", form=form, table=found, token=token)
    return page, status


def _mapping_form(table: ColumnsToMap) -> FlaskForm:
    class MappingForm(FlaskForm):
        pass

    for i, name in enumerate(table.header):
        label = name or f"Column {i + 1}"
        default = table.suggested.get(name, "")
        select = SelectField(label, choices=COLUMN_CHOICES, default=default)
        setattr(MappingForm, f"column_{i}", select)
    return MappingForm()


def _run_import(
    session: Session, user: User, parsed: Parsed, token: str | None = None
) -> tuple[str, int] | str:
    """Add the contacts to the user's, all or nothing, and show what happened."""
    contacts, warnings = parsed
    try:
        report = import_contacts(session, user, contacts, datetime.now(UTC), warnings)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("contacts import for user %s failed", user.id)
        failure = "The import failed part-way through; nothing was changed. Try again later."
        return render_template("contacts/import.html", form=ImportForm(), failure=failure), 500
    if token:
        _uploads().drop(user.id, token)
    if report.added or report.updated:
        enqueue_geocode("contacts", user.id)
    return render_template("contacts/report.html", report=report, shown=SHOWN_SKIPS)


@bp.get("/export")
def export() -> Response:
    session = db.session()
    user = viewer(session)
    form = SearchForm(request.args)
    query = search_query(user, form.q.data or "", form.city.data or "", form.tie.data or None)
    body = "\ufeff" + export_contacts_csv(session.scalars(query))  # the BOM: Excel reads UTF-8
    day = datetime.now(UTC).date().isoformat()
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="contacts-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.app_errorhandler(413)
def too_large(_error: object) -> tuple[str, int]:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    return render_template("contacts/too_large.html", limit_mb=limit / 1024 / 1024), 413


def _uploads() -> WaitingUploads:
    return WaitingUploads(Path(current_app.instance_path) / "contact-uploads")


def _read_upload(upload: FileStorage) -> bytes | None:
    """The uploaded file, or None when it is larger than MAX_UPLOAD_BYTES."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    return None if len(data) > limit else data

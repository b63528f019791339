"""The registry workbook's words in one language: sheet titles, column headers, cell words.

Import and export take them from the same translator, so a workbook the bot writes is one it
reads. The first six touchpoint columns are the seed 002 touchpoint form, and the form's own
headings (§2.2: «Направление деятельности министерства», «Наименование конкретного процесса») are
read as the same columns, so a body's own list imports as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import Translator
from storage.models import ClientType, TouchpointKind

MAX_LENGTH = {"code": 32, "name": 500, "department": 300, "channel": 100, "organization": 300}


@dataclass(frozen=True)
class Layout:
    """Titles of the three sheets, the headers of their columns and the words of the cells."""

    processes_sheet: str
    touchpoints_sheet: str
    organization_sheet: str
    organization_header: str
    process_code: str
    group: str
    process_name: str
    direction: str
    department_code: str
    department_name: str
    owner: str
    client_type: str
    reengineered: str
    stages: str
    touchpoint_name: str
    needs: str
    specifics: str
    touchpoint_code: str
    kind: str
    channel: str
    active: str
    touchpoint_department: str
    form_direction: str
    form_process_name: str
    kind_words: dict[TouchpointKind, str]
    client_words: dict[ClientType, str]
    default_specifics: dict[TouchpointKind, str]
    yes: str
    no: str

    @property
    def process_headers(self) -> tuple[str, ...]:
        return (
            self.process_code,
            self.group,
            self.process_name,
            self.direction,
            self.department_code,
            self.department_name,
            self.owner,
            self.client_type,
            self.reengineered,
            self.stages,
        )

    @property
    def touchpoint_headers(self) -> tuple[str, ...]:
        return (
            self.group,
            self.direction,
            self.process_name,
            self.touchpoint_name,
            self.needs,
            self.specifics,
            self.touchpoint_code,
            self.kind,
            self.channel,
            self.active,
            self.touchpoint_department,
        )

    @property
    def form_headers(self) -> tuple[str, ...]:
        """The six columns of the seed 002 form (§2.2), in its own words."""
        return (
            self.group,
            self.form_direction,
            self.form_process_name,
            self.touchpoint_name,
            self.needs,
            self.specifics,
        )

    @property
    def required_process_headers(self) -> tuple[str, ...]:
        """The processes sheet's columns a workbook must have; the bot's own are optional."""
        return (self.group, self.process_name, self.direction)

    @property
    def required_touchpoint_headers(self) -> tuple[str, ...]:
        """The touchpoint sheet must have the six columns of the form (§2.2), no more."""
        return self.touchpoint_headers[:6]

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Headings read as a column of the bot's workbook: the form's words (§2.2)."""
        return {
            self.direction: (self.form_direction,),
            self.process_name: (self.form_process_name,),
            self.touchpoint_department: (self.department_name,),
        }


def layout(_: Translator) -> Layout:
    """The workbook's words as `_` translates them."""
    return Layout(
        processes_sheet=_("Processes"),
        touchpoints_sheet=_("Touchpoints"),
        organization_sheet=_("Organization"),
        organization_header=_("Name of the body"),
        process_code=_("Process code"),
        group=_("Process group number"),
        process_name=_("Process name"),
        direction=_("Activity direction"),
        department_code=_("Department code"),
        department_name=_("Department"),
        owner=_("Process owner"),
        client_type=_("Client type"),
        reengineered=_("Date of the last reengineering"),
        stages=_("Process stages"),
        touchpoint_name=_("Touchpoint"),
        needs=_("Interaction with the client"),
        specifics=_("Specifics of the interaction with the client"),
        touchpoint_code=_("Touchpoint code"),
        kind=_("Touchpoint kind"),
        channel=_("Channel"),
        active=_("Active"),
        touchpoint_department=_("Structural department"),
        form_direction=_("Activity direction of the ministry"),
        form_process_name=_("Name of the specific process"),
        kind_words={TouchpointKind.DIGITAL: _("digital"), TouchpointKind.OFFLINE: _("offline")},
        client_words={ClientType.EXTERNAL: _("external"), ClientType.INTERNAL: _("internal")},
        default_specifics={
            TouchpointKind.DIGITAL: _("interaction at a digital touchpoint"),
            TouchpointKind.OFFLINE: _("interaction at an offline touchpoint"),
        },
        yes=_("yes"),
        no=_("no"),
    )

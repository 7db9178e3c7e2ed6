"""Import every model so that the metadata is complete (migrations, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, Role, SecondFactor, User, user_council
from app.briefs.models import (
    Brief,
    BriefArtefact,
    BriefComment,
    BriefStatus,
    BriefVersion,
    ChangeClass,
    RenderStatus,
)
from app.classifications.models import OccupationGroup, Sector
from app.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    Item,
    ItemType,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    StakeholderGroup,
)
from app.councils.models import Council
from app.curation.models import Theme
from app.forecasts.models import ForecastBinding, ForecastDataset, ForecastValue
from app.panels.models import GroupQuota, Invitation, Panellist, Participation
from app.questionnaires.models import QuestionnaireVersion

__all__ = [
    "Answer",
    "AuditEvent",
    "Brief",
    "BriefArtefact",
    "BriefComment",
    "BriefStatus",
    "BriefVersion",
    "ChangeClass",
    "Consultation",
    "ConsultationStatus",
    "Council",
    "ForecastBinding",
    "ForecastDataset",
    "ForecastValue",
    "GroupQuota",
    "Invitation",
    "Item",
    "ItemType",
    "OccupationGroup",
    "Panellist",
    "Participation",
    "QuestionnaireVersion",
    "RecoveryCode",
    "RenderStatus",
    "Response",
    "ResponseStatus",
    "Role",
    "Round",
    "RoundStatus",
    "SecondFactor",
    "Sector",
    "StakeholderGroup",
    "Theme",
    "User",
    "user_council",
]

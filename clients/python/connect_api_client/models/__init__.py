"""Contains all the data models used in inputs/outputs"""

from .block_page import BlockPage
from .block_read import BlockRead
from .bulk_decline_result import BulkDeclineResult
from .bulk_withdraw_result import BulkWithdrawResult
from .connection_page import ConnectionPage
from .connection_read import ConnectionRead
from .connection_sort import ConnectionSort
from .data import Data
from .decline_body import DeclineBody
from .decline_reason import DeclineReason
from .delivery_page import DeliveryPage
from .delivery_read import DeliveryRead
from .delivery_status import DeliveryStatus
from .disabled_reason import DisabledReason
from .event_page import EventPage
from .event_read import EventRead
from .event_type import EventType
from .export_document import ExportDocument
from .export_format import ExportFormat
from .export_kind import ExportKind
from .export_part import ExportPart
from .exported_block import ExportedBlock
from .exported_connection import ExportedConnection
from .exported_follow import ExportedFollow
from .exported_invitation import ExportedInvitation
from .exported_profile import ExportedProfile
from .follow_page import FollowPage
from .follow_read import FollowRead
from .graph_health import GraphHealth
from .graph_health_state import GraphHealthState
from .group_create import GroupCreate
from .group_member_page import GroupMemberPage
from .group_member_read import GroupMemberRead
from .group_page import GroupPage
from .group_read import GroupRead
from .health import Health
from .health_status import HealthStatus
from .inbox_counts import InboxCounts
from .invitation_allowance import InvitationAllowance
from .invitation_create import InvitationCreate
from .invitation_page import InvitationPage
from .invitation_read import InvitationRead
from .invitation_read_direction import InvitationReadDirection
from .invitation_status import InvitationStatus
from .invite_policy import InvitePolicy
from .invite_refusal import InviteRefusal
from .me_read import MeRead
from .member_create import MemberCreate
from .member_read import MemberRead
from .member_settings import MemberSettings
from .member_settings_update import MemberSettingsUpdate
from .member_summary import MemberSummary
from .membership_read import MembershipRead
from .mutual_connections_page import MutualConnectionsPage
from .mutual_reason import MutualReason
from .network_visibility import NetworkVisibility
from .not_declined import NotDeclined
from .not_declined_code import NotDeclinedCode
from .not_withdrawn import NotWithdrawn
from .not_withdrawn_code import NotWithdrawnCode
from .note_read import NoteRead
from .note_write import NoteWrite
from .pending_invitation_read import PendingInvitationRead
from .pending_invitation_read_direction import PendingInvitationReadDirection
from .problem import Problem
from .problem_code import ProblemCode
from .relationship_read import RelationshipRead
from .relationship_read_action import RelationshipReadAction
from .relationships_read import RelationshipsRead
from .replica_health import ReplicaHealth
from .replica_health_state import ReplicaHealthState
from .second_degree_item import SecondDegreeItem
from .second_degree_page import SecondDegreePage
from .status_filter import StatusFilter
from .stream_ticket import StreamTicket
from .suggestion_read import SuggestionRead
from .suggestion_reasons import SuggestionReasons
from .suggestions_read import SuggestionsRead
from .tag_count import TagCount
from .tag_list import TagList
from .tags_read import TagsRead
from .tags_write import TagsWrite
from .webhook_create import WebhookCreate
from .webhook_created import WebhookCreated
from .webhook_created_status import WebhookCreatedStatus
from .webhook_page import WebhookPage
from .webhook_read import WebhookRead
from .webhook_read_status import WebhookReadStatus
from .webhook_update import WebhookUpdate

__all__ = (
    "BlockPage",
    "BlockRead",
    "BulkDeclineResult",
    "BulkWithdrawResult",
    "ConnectionPage",
    "ConnectionRead",
    "ConnectionSort",
    "Data",
    "DeclineBody",
    "DeclineReason",
    "DeliveryPage",
    "DeliveryRead",
    "DeliveryStatus",
    "DisabledReason",
    "EventPage",
    "EventRead",
    "EventType",
    "ExportDocument",
    "ExportFormat",
    "ExportKind",
    "ExportPart",
    "ExportedBlock",
    "ExportedConnection",
    "ExportedFollow",
    "ExportedInvitation",
    "ExportedProfile",
    "FollowPage",
    "FollowRead",
    "GraphHealth",
    "GraphHealthState",
    "GroupCreate",
    "GroupMemberPage",
    "GroupMemberRead",
    "GroupPage",
    "GroupRead",
    "Health",
    "HealthStatus",
    "InboxCounts",
    "InvitationAllowance",
    "InvitationCreate",
    "InvitationPage",
    "InvitationRead",
    "InvitationReadDirection",
    "InvitationStatus",
    "InvitePolicy",
    "InviteRefusal",
    "MeRead",
    "MemberCreate",
    "MemberRead",
    "MemberSettings",
    "MemberSettingsUpdate",
    "MemberSummary",
    "MembershipRead",
    "MutualConnectionsPage",
    "MutualReason",
    "NetworkVisibility",
    "NotDeclined",
    "NotDeclinedCode",
    "NotWithdrawn",
    "NotWithdrawnCode",
    "NoteRead",
    "NoteWrite",
    "PendingInvitationRead",
    "PendingInvitationReadDirection",
    "Problem",
    "ProblemCode",
    "RelationshipRead",
    "RelationshipReadAction",
    "RelationshipsRead",
    "ReplicaHealth",
    "ReplicaHealthState",
    "SecondDegreeItem",
    "SecondDegreePage",
    "StatusFilter",
    "StreamTicket",
    "SuggestionRead",
    "SuggestionReasons",
    "SuggestionsRead",
    "TagCount",
    "TagList",
    "TagsRead",
    "TagsWrite",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookCreatedStatus",
    "WebhookPage",
    "WebhookRead",
    "WebhookReadStatus",
    "WebhookUpdate",
)

"""Settings read from the environment (prefix ``SANCTRACK_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Official download locations. For the OFAC CSV set the setting is the folder that holds sdn.csv, add.csv, ...
OFFICIAL_URLS = {
    "ofac_sdn": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/",
    "ofac_cons": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/consolidated.xml",
    "un_sc": "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
    "uk": "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
    "eu_fsf": "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
    "ca_sema": "https://www.international.gc.ca/world-monde/assets/office_docs/international_relations-relations_internationales/sanctions/sema-lmes.xml",
    "au_dfat": "https://www.dfat.gov.au/sites/default/files/Australian_Sanctions_Consolidated_List.xlsx",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANCTRACK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///sanctrack.db"
    # Empty means "no Redis": the embedded default runs Celery on the database as its broker.
    redis_url: str = ""
    sample_data: Path = Path("../shared/data")
    data_dir: Path = Path("sanctrack-data")

    ofac_sdn_url: str = OFFICIAL_URLS["ofac_sdn"]
    ofac_cons_url: str = OFFICIAL_URLS["ofac_cons"]
    un_sc_url: str = OFFICIAL_URLS["un_sc"]
    uk_url: str = OFFICIAL_URLS["uk"]
    eu_fsf_url: str = OFFICIAL_URLS["eu_fsf"]
    ca_sema_url: str = OFFICIAL_URLS["ca_sema"]
    au_dfat_url: str = OFFICIAL_URLS["au_dfat"]

    # Fetching official lists
    fetch_max_bytes: int = 512 * 1024 * 1024
    fetch_timeout_seconds: float = 60.0
    fetch_retries: int = 4

    # A publication that removes more than this share of the current entries is held for an operator.
    max_removal_share: float = 0.05

    # Scheduling: seconds between refreshes, per source (0 disables a source's schedule).
    refresh_interval_seconds: int = 3600
    refresh_intervals: dict[str, int] = Field(default_factory=dict)
    refresh_lock_seconds: int = 1800
    stale_list_age_seconds: int = 2 * 86400

    # Matching
    # Creating or editing a candidate records a screening request in the same transaction (every way in: API, console,
    # CLI, import, documents); the worker drains them (nudged after the commit, else beat's tick every 5 s).
    screen_on_change: bool = True
    # The matcher's calibrated thresholds (app/matching/data/model.json, chosen on the dev split by
    # bench/train_matcher.py; tests/matching/test_model.py keeps these defaults equal to them): a suggestion for
    # review, a match, a link made without review.
    review_threshold: float = 0.49
    match_threshold: float = 0.49
    auto_link_threshold: float = 0.997
    # Each API process looks this often (seconds) for newly applied snapshots and updates its index beside the
    # requests (0: only at start-up). Start-up waits this long for the index before serving; /readyz says
    # "loading index" (503) until it is there.
    index_poll_seconds: float = 2.0
    index_startup_wait_seconds: float = 5.0

    # Documents read by the service (app/documents): a URL's body is read up to this size within this time; private
    # and loopback addresses are refused unless allowed (tests, a self-hosted setup reading an intranet).
    document_max_bytes: int = 20 * 1024 * 1024
    document_fetch_timeout_seconds: float = 30.0
    document_allow_private: bool = False

    # Webhooks
    webhook_allow_private: bool = False
    # Mount the demo's own webhook receiver (app/demo_receiver.py); 'sanctrack demo' turns it on for itself.
    demo_receiver: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_disable_after_seconds: int = 5 * 86400
    webhook_secret_overlap_seconds: int = 24 * 3600

    # API
    max_body_bytes: int = 2 * 1024 * 1024
    rate_limit_per_minute: int = 600
    # A verified API key is trusted this long without asking the database again. Revoking a key ends it at once in
    # the revoking process and, through Redis when configured, in the others; without Redis, within this time.
    key_cache_seconds: float = 5.0
    session_secret: str = ""
    log_json: bool = True

    # Retention (days; 0 keeps forever)
    retain_raw_snapshots_days: int = 0
    retain_delivery_attempts_days: int = 90

    def source_url(self, source: str) -> str:
        return getattr(self, f"{source}_url")

    def refresh_interval(self, source: str) -> int:
        return self.refresh_intervals.get(source, self.refresh_interval_seconds)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The app factory: builds the python-telegram-bot Application and Kuaipei's runtime."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

import handlers
from bot.case.clocks import reindex
from bot.compose import wiring
from bot.config.checks import sla_warnings
from bot.config.deployment import Deployment, resolve_path
from bot.config.logs import protect_logs
from bot.config.settings import Settings
from bot.evidence.geocoder import build_geocoder
from bot.flows.insurers import sync_insurers
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.liaison.schedule import send_due_digests
from bot.retention.purge import purge
from bot.retention.rules import Policy
from bot.sla.sweep import sweep
from bot.transport.downloader import Downloader
from bot.transport.election import PollerElection
from bot.transport.fleet import Fleet
from bot.transport.health import HealthServer
from bot.transport.inbox_lease import InboxLeases
from bot.transport.ingest import Poller, inbox_state, purge_handled
from bot.transport.ordering import PerChatUpdateProcessor
from bot.transport.retry import connect
from bot.transport.sender import Sender
from bot.transport.throttle import Throttle
from bot.transport.webhook import WebhookServer
from storage.db import Database
from storage.models import InboxUpdate

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything one running bot consists of."""

    app: Application
    services: Services
    sender: Sender
    # Where updates come in: long polling, or Telegram's pushes (WEBHOOK_URL).
    ingress: Poller | WebhookServer | PollerElection
    downloader: Downloader | None = None
    # Seconds between two SLA sweeps (the JobQueue job that fires due ladder steps).
    sweep_seconds: float = 5.0
    # Seconds between two looks for digests that are due (sent at sla.digest_time).
    digest_seconds: float = 60.0
    # Where the deployment came from, said when the bot is up.
    deployment_path: Path | None = None
    # /healthz and /metrics, when HEALTH_PORT is set.
    health: HealthServer | None = None
    # The retention periods, and seconds between two purges (daily; the first soon after
    # start, so that a bot restarted every night still purges).
    retention: Policy = field(default_factory=lambda: Policy.days(1095, 30))
    retention_seconds: float = 24 * 3600.0
    # Several processes on one database (MULTI_PROCESS): this one's heartbeat and its
    # per-chat inbox leases (docs/architecture.md).
    fleet: Fleet | None = None
    inbox: InboxLeases | None = None

    async def start(self) -> None:
        """Connect to Telegram, register commands, start handling, sending and polling."""
        await sync_insurers(self.services)
        await connect(self.app)
        # Once Telegram took the token: a bot that cannot start has only that to say.
        today = self.services.clock.now().astimezone(ZoneInfo(self.services.timezone)).date()
        for warning in sla_warnings(self.services.deployment, today):
            log.warning("%s", warning)
        self.services.bot_username = self.app.bot.username
        await register_commands(self.app)
        await self.app.start()
        assert self.app.job_queue is not None  # python-telegram-bot[job-queue] is required
        # The file may have changed holidays or hours: re-index running clocks, then sweep.
        self.app.job_queue.run_once(_reindex_job, when=0.0, name="sla-reindex")
        self.app.job_queue.run_repeating(
            _sweep_job, interval=self.sweep_seconds, first=0.0, name="sla-sweep"
        )
        self.app.job_queue.run_repeating(
            _digest_job, interval=self.digest_seconds, first=1.0, name="digests"
        )
        self.app.job_queue.run_repeating(
            _purge_job, interval=PURGE_SECONDS, first=60.0, name="inbox-purge"
        )
        self.app.job_queue.run_repeating(
            _retention_job,
            interval=self.retention_seconds,
            first=min(RETENTION_FIRST_SECONDS, self.retention_seconds),
            name="retention",
            data=self.retention,
        )
        if self.fleet is not None:
            await self.fleet.start()
        await self.sender.start()
        if self.downloader is not None:
            await self.downloader.start()
        await self.ingress.start()
        if self.health is not None:
            await self.health.start()
        deployment = self.services.deployment
        mode = "webhook" if isinstance(self.ingress, WebhookServer) else "long polling"
        if self.fleet is not None:  # the poller is elected: this one may only stand by
            mode += "; one of several processes (MULTI_PROCESS)"
        log.info(
            "bot @%s is running (%s; deployment file %s: %d township(s), %d insurer(s))",
            self.app.bot.username,
            mode,
            self.deployment_path,
            len(deployment.townships),
            len(deployment.insurers),
        )

    async def stop(self) -> None:
        """Stop polling, let queued updates finish, flush the sender, close everything."""
        if self.health is not None:
            await self.health.stop()
        await self.ingress.stop()
        if self.inbox is not None:
            await self.inbox.stop()
        if self.fleet is not None:
            await self.fleet.stop()
        for _ in range(100):  # give queued updates a moment to be handled
            if self.app.update_queue.empty():
                break
            await asyncio.sleep(0.05)
        await self.app.stop()
        await inbox_state(self.app.bot_data).close(self.services)
        if self.downloader is not None:
            await self.downloader.stop()
        await self.sender.stop()
        await self.app.shutdown()
        await self.services.db.dispose()


async def register_commands(app: Application) -> None:
    """Publish the command list with descriptions, in Chinese and English."""
    for lang in ("zh", "en"):
        commands = [
            BotCommand("setup", t("cmd.setup", lang)),
            BotCommand("join", t("cmd.join", lang)),
            BotCommand("role", t("cmd.role", lang)),
            BotCommand("whoami", t("cmd.whoami", lang)),
            BotCommand("team", t("cmd.team", lang)),
            BotCommand("case", t("cmd.case", lang)),
            BotCommand("queue", t("cmd.queue", lang)),
            BotCommand("agreement", t("cmd.agreement", lang)),
            BotCommand("overdue", t("cmd.overdue", lang)),
            BotCommand("stats", t("cmd.stats", lang)),
            BotCommand("export", t("cmd.export", lang)),
            BotCommand("help", t("cmd.help", lang)),
        ]
        code = None if lang == "zh" else "en"
        for scope in (BotCommandScopeDefault(), BotCommandScopeAllGroupChats()):
            await app.bot.set_my_commands(commands, scope=scope, language_code=code)


def build_runtime(
    settings: Settings,
    deployment: Deployment,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    poll_timeout: int = 10,
) -> Runtime:
    """Build the Application and its collaborators from settings (nothing is started)."""
    # httpx logs URLs and PTB dumps updates: both hold what no log may show.
    protect_logs([settings.token()], log_sql=settings.log_sql)
    tz = ZoneInfo(settings.timezone)
    app = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .defaults(Defaults(tzinfo=tz, parse_mode=ParseMode.HTML))
        .concurrent_updates(PerChatUpdateProcessor(64))
        .updater(None)
        .context_types(ContextTypes())
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
        .media_write_timeout(60)
        .build()
    )
    svc = Services(
        db=db or Database(settings.database_url),
        clock=clock or SystemClock(),
        deployment=deployment,
        timezone=settings.timezone,
        language=settings.language,
        media_dir=settings.media_dir,
        agreement_font=settings.agreement_font,
        geocoder=build_geocoder(deployment.geocoder),
    )
    wiring.wire(svc)
    app.bot_data["services"] = svc
    handlers.register(app)
    app.add_error_handler(_log_error)
    multi = settings.multi_process
    lease = timedelta(seconds=settings.process_lease_seconds)
    throttle = Throttle(
        group_max_rate=settings.send_group_max_rate,
        group_period=settings.send_group_period_seconds,
        overall_max_rate=settings.send_overall_max_rate,
        overall_period=settings.send_overall_period_seconds,
        # Send times go to other processes through the database: one clock for all.
        monotonic=time.time if multi else time.monotonic,
    )
    fleet = Fleet(svc, throttle, lease=lease) if multi else None
    inbox = None
    if fleet is not None:
        inbox = InboxLeases(app, svc, holder=fleet.holder, lease=lease)
        fleet.on_beat.append(inbox.pick_up)
    sender = Sender(
        app.bot,
        svc,
        throttle,
        bulk_kinds=wiring.BULK_KINDS,
        lease=lease,
        holder=fleet.holder if fleet else None,
        shared_limits=multi,
        card_settle=settings.card_settle_seconds,
    )
    sender.handlers.update(wiring.sender_kinds(sender.handlers, svc))
    ingress: Poller | WebhookServer | PollerElection
    if settings.webhook_url:
        secret = settings.webhook_secret
        assert secret is not None  # `kuaipei run` and `kuaipei check` refuse a webhook without
        ingress = WebhookServer(
            app,
            svc,
            url=settings.webhook_url,
            secret=secret.get_secret_value(),
            host=settings.webhook_listen,
            port=settings.webhook_port,
            intake=inbox,
        )
    elif fleet is not None:
        ingress = PollerElection(
            Poller(app, svc, timeout=poll_timeout, intake=inbox),
            svc.db,
            retry=fleet.interval,
        )
    else:
        ingress = Poller(app, svc, timeout=poll_timeout)
    downloader = Downloader(app.bot, svc, claim=lease if multi else None)
    health = None
    if settings.health_port:
        health = HealthServer(
            svc, sender.alive, host=settings.health_host, port=settings.health_port
        )
    return Runtime(
        health=health,
        app=app,
        services=svc,
        sender=sender,
        ingress=ingress,
        downloader=downloader,
        sweep_seconds=settings.sla_sweep_seconds,
        deployment_path=resolve_path(settings.kuaipei_config),
        retention=Policy.days(settings.retention_evidence_days, settings.retention_messages_days),
        fleet=fleet,
        inbox=inbox,
    )


async def _reindex_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.bot_data["services"]
    try:
        count = await reindex(svc)
        log.info("SLA: %d running clock(s) re-indexed under the deployment file", count)
    except Exception:  # the clocks keep their old instants; the next start tries again
        log.exception("SLA re-index failed")


PURGE_SECONDS = 6 * 3600.0


async def _purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.bot_data["services"]
    try:
        if count := await purge_handled(svc):
            log.info("inbox: %d handled update(s) past retention purged", count)
    except Exception:  # kept a little longer; the next run purges them
        log.exception("inbox purge failed")


RETENTION_FIRST_SECONDS = 300.0


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.bot_data["services"]
    assert context.job is not None and isinstance(context.job.data, Policy)
    try:
        done = await purge(svc, context.job.data)
        if done.anything:
            log.info(
                "retention: %d photo(s) of finished cases purged (%d file(s)), %d delivered "
                "message(s), %d typed text(s), %d export/chart file(s), %d file(s) left "
                "by a process killed mid-write",
                done.photos,
                done.files,
                done.outbox,
                done.typed_texts,
                done.delivery_files,
                done.leftovers,
            )
    except Exception:  # nothing is lost by waiting: the next run deletes it
        log.exception("retention purge failed")


async def _digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.bot_data["services"]
    try:
        await send_due_digests(svc)
    except Exception:  # the next look tries again; a digest is marked sent only when queued
        log.exception("digest failed")


async def _sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services = context.bot_data["services"]
    try:
        await sweep(svc)
    except Exception:  # one failed sweep must not end the schedule; the next one retries
        log.exception("SLA sweep failed")


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    uid = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", uid, exc_info=context.error)
    svc: Services | None = context.bot_data.get("services")
    if svc is None or uid is None:
        return
    async with svc.db.transaction() as session:
        row = await session.get(InboxUpdate, uid)
        if row is not None:
            row.error = repr(context.error)[:500]
            session.add(row)

//! The gateway bot: serenity connects to Discord's websocket, `INTERACTION_CREATE` events are
//! turned into invocations, and the engine's response JSON is posted to the interaction
//! callback unchanged — the same bytes `factdesk ask --json` prints.
//!
//! `DISCORD_API_BASE` points REST and (through `GET /gateway`) the websocket at another base,
//! such as the test stand-in. serenity honours its proxy setting only with its rate limiter
//! off (see shared/notes/serenity-0.12.md), so the limiter stays on for real Discord.
//!
//! One process runs every shard Discord recommends (`GET /gateway/bot`): the bot asks for no
//! intents, so a shard carries little more than its interactions, and at scale interactions
//! go to the stateless HTTP endpoint instead. There are no shard ranges across processes.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Method;
use serenity::all::{
    Client, ClientBuilder, Context, EventHandler, GatewayIntents, Http, HttpBuilder, Interaction,
    Ready, ResumedEvent, ShardStageUpdateEvent,
};
use serenity::gateway::{ConnectionStage, ShardManager};
use serenity::model::gateway::BotGateway;
use tracing::{error, info, warn, Instrument};

use super::followup::FollowUp;
use super::interaction::{self, Reachable};
use super::startup_api::{self, Failure, StartupApi};
use crate::engine::{application_commands, fingerprint, Engine};
use crate::serving::{self, Answered, Served};

/// How long shutdown waits for interactions being answered.
const DRAIN_DEADLINE: Duration = Duration::from_secs(5);

/// What the gateway needs to run.
#[derive(Clone)]
pub struct Config {
    pub token: String,
    /// `None` for Discord itself; e.g. `http://127.0.0.1:PORT` for a stand-in.
    pub api_base: Option<String>,
    pub application_id: Option<u64>,
    /// Register commands at start-up when they changed since the last registration.
    pub register: Option<Scope>,
    /// Where the last registration's fingerprint is kept.
    pub state_dir: PathBuf,
    /// Bumped by hot reload when the command definitions changed (re-register then).
    pub commands_changed: Option<tokio::sync::watch::Receiver<u64>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Config")
            .field("api_base", &self.api_base)
            .field("application_id", &self.application_id)
            .finish()
    }
}

/// Where commands are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Guild(u64),
}

impl Scope {
    fn label(self) -> String {
        match self {
            Scope::Global => "global".into(),
            Scope::Guild(id) => format!("guild-{id}"),
        }
    }
}

/// Why the gateway stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("Discord rejected the bot token ({0}); set DISCORD_TOKEN to the bot token from the Developer Portal")]
    BadToken(String),
    #[error(
        "cannot reach the Discord API at {base}: {reason}; check DISCORD_API_BASE and the network"
    )]
    Unreachable { base: String, reason: String },
    #[error("command registration failed: {0}")]
    Register(String),
    #[error("cannot look up the application id with the token ({0}); set DISCORD_APPLICATION_ID (Developer Portal → General Information → Application ID)")]
    ApplicationId(String),
    #[error("Discord rate limited {request} at start-up and asked to wait {seconds} s, longer than start-up waits ({} s); try again after that", startup_api::MAX_RETRY_AFTER.as_secs())]
    RateLimited { request: String, seconds: u64 },
    #[error(
        "cannot learn how many gateway shards to run: GET /api/v10/gateway/bot at {base}: {reason}"
    )]
    ShardCount { base: String, reason: String },
    #[error("not connecting: {shards} shards need {shards} gateway session starts and Discord allows {remaining} more in the next {reset_minutes} min; going over the limit gets the bot token reset — wait, and find out what restarts the bot so often")]
    SessionStartLimit {
        remaining: u64,
        shards: u32,
        reset_minutes: u64,
    },
    #[error("the gateway stopped: {0}")]
    Other(String),
}

/// Builds serenity's HTTP client for `config`.
pub fn http(config: &Config) -> Http {
    let mut builder = HttpBuilder::new(&config.token);
    if let Some(base) = &config.api_base {
        builder = builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    if let Some(id) = config.application_id {
        builder = builder.application_id(id.into());
    }
    builder.build()
}

fn base_label(config: &Config) -> String {
    config
        .api_base
        .clone()
        .unwrap_or_else(|| "https://discord.com".into())
}

impl Config {
    /// Start-up's requests to Discord: through 429s and brief outages, unlike serenity's.
    fn startup_api(&self) -> StartupApi {
        StartupApi::new(&base_label(self), &self.token)
    }
}

impl GatewayError {
    /// The error for start-up's `request` that failed with `failure`: a rejected token and a
    /// 429 asking too long a wait say so; `otherwise` words the rest.
    fn from_startup(
        failure: Failure,
        request: &str,
        otherwise: impl FnOnce(String) -> GatewayError,
    ) -> GatewayError {
        match failure {
            Failure::Unauthorized => {
                GatewayError::BadToken(format!("401 Unauthorized on {request}"))
            }
            Failure::WaitTooLong(wait) => GatewayError::RateLimited {
                request: request.to_owned(),
                seconds: wait.as_secs_f64().ceil() as u64,
            },
            Failure::Failed(reason) => otherwise(reason),
        }
    }
}

/// The application's id: from the configuration, else looked up with the token (`GET
/// /api/v10/oauth2/applications/@me`).
pub async fn application_id(config: &Config) -> Result<u64, GatewayError> {
    if let Some(id) = config.application_id {
        return Ok(id);
    }
    let request = "GET /api/v10/oauth2/applications/@me";
    let failed = |reason: String| GatewayError::ApplicationId(format!("{request}: {reason}"));
    let app = config
        .startup_api()
        .call(Method::GET, "/oauth2/applications/@me", None)
        .await
        .map_err(|f| GatewayError::from_startup(f, request, failed))?;
    // Discord writes ids (snowflakes) as strings.
    app["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| failed(format!("answered without an id: {app}")))
}

/// Overwrites the application's commands in `scope` with the fact base's (one bulk `PUT`,
/// through 429s and brief outages). Returns how many commands Discord now has.
pub async fn register(
    config: &Config,
    engine: &Engine,
    scope: Scope,
) -> Result<usize, GatewayError> {
    let id = application_id(config).await?;
    let path = match scope {
        Scope::Global => format!("/applications/{id}/commands"),
        Scope::Guild(guild) => format!("/applications/{id}/guilds/{guild}/commands"),
    };
    let request = format!("PUT /api/v10{path}");
    let registered = config
        .startup_api()
        .call(Method::PUT, &path, Some(&application_commands(engine)))
        .await
        .map_err(|f| {
            GatewayError::from_startup(f, &request, |reason| {
                GatewayError::Register(format!("{request}: {reason}"))
            })
        })?;
    registered.as_array().map(Vec::len).ok_or_else(|| {
        GatewayError::Register(format!("{request} answered without a list of commands"))
    })
}

/// Registers only when the definitions changed since the fingerprint stored in `state_dir`.
async fn register_if_changed(
    engine: &Engine,
    config: &Config,
    scope: Scope,
) -> Result<(), GatewayError> {
    let print = fingerprint(&application_commands(engine));
    let file = config
        .state_dir
        .join(format!("registered-commands-{}.fingerprint", scope.label()));
    if std::fs::read_to_string(&file).is_ok_and(|old| old.trim() == print) {
        info!(scope = %scope.label(), "commands unchanged since last registration; not re-registering");
        return Ok(());
    }
    let count = register(config, engine, scope).await?;
    info!(scope = %scope.label(), count, "registered commands");
    let written =
        std::fs::create_dir_all(&config.state_dir).and_then(|()| std::fs::write(&file, &print));
    if let Err(e) = written {
        warn!(file = %file.display(), error = %e, "could not store the registration fingerprint; the next start will register again");
    }
    Ok(())
}

struct Handler {
    served: Arc<Served>,
    followup: FollowUp,
    /// serenity's shard manager, set once the client exists: the connected-shards gauge is
    /// read from its runners.
    shards: Arc<OnceLock<Arc<ShardManager>>>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let shards = ready.shard.map_or(1, |s| s.total);
        info!(shard = ctx.shard_id.0, shards, user = %ready.user.name, session = %ready.session_id, guilds = ready.guilds.len(), "connected to the gateway");
    }

    async fn resume(&self, ctx: Context, _event: ResumedEvent) {
        info!(shard = ctx.shard_id.0, "gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        info!(shard = event.shard_id.0, from = %event.old, to = %event.new, "gateway connection state changed");
        if let Some(manager) = self.shards.get() {
            // serenity records the new stage before it reports it, and each report runs in a
            // task of its own: counting under the runners' lock makes the last count to run
            // see the latest stages, whatever order the reports run in.
            let runners = manager.runners.lock().await;
            let connected = runners
                .values()
                .filter(|r| r.stage == ConnectionStage::Connected)
                .count();
            crate::telemetry::record_shards_connected(connected);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Some(incoming) = interaction::from_gateway(&interaction, self.served.now()) else {
            return;
        };
        let _work = self.served.in_flight().enter();
        let invocation = incoming.invocation;
        let span = serving::span(&invocation, "gateway");
        let to = Reachable {
            application_id: Some(incoming.application_id),
            token: incoming.token.to_owned(),
        };
        async {
            let (now, label, later) = match self.served.answer(&invocation, Some(&to)).await {
                Answered::Now(answer) => (answer.response, answer.label, None),
                Answered::Later { deferred, answer } => (deferred, "deferred".into(), Some(answer)),
            };
            let raw = serde_json::value::RawValue::from_string(now.to_json())
                .expect("the engine always produces valid JSON");
            let sent = ctx
                .http
                .create_interaction_response(incoming.id, incoming.token, &raw, Vec::new())
                .await;
            if let Err(e) = sent {
                crate::telemetry::record_callback_failure(&label);
                // The error may name the callback URL, which holds the interaction token.
                let error = e.to_string().replace(incoming.token, "<token>");
                error!(%error, "could not send the answer to Discord");
                return;
            }
            if let Some(answer) = later {
                let answer = answer
                    .await
                    .unwrap_or_else(|e| serving::failed(&self.served.engine(), &invocation, &e));
                super::http::deliver_later(&self.followup, &to, answer).await;
            }
        }
        .instrument(span)
        .await;
    }
}

/// Checks that Discord's API answers `GET /api/v10/gateway` (where serenity reads the gateway
/// URL), as serenity would ask it: serenity, if it fails, falls back to Discord's own gateway
/// and retries forever. A 429 — a global one answers any request, this one too — is waited out
/// and a 5xx tried again ([`startup_api`]): it says Discord is there.
async fn reach(api: &StartupApi, base: &str) -> Result<(), GatewayError> {
    let request = "GET /api/v10/gateway";
    let unreachable = |reason: String| GatewayError::Unreachable {
        base: base.to_owned(),
        reason,
    };
    let gateway = api.call(Method::GET, "/gateway", None).await.map_err(|f| {
        GatewayError::from_startup(f, request, |r| unreachable(format!("{request}: {r}")))
    })?;
    match gateway["url"].as_str() {
        Some(_) => Ok(()),
        None => Err(unreachable(format!(
            "{request} answered without a gateway URL"
        ))),
    }
}

/// Runs the gateway bot until `shutdown` resolves (then closes the shards and lets in-flight
/// interactions finish) or Discord ends the session for good.
pub async fn run(
    served: Arc<Served>,
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), GatewayError> {
    let http = http(&config);
    let base = base_label(&config);
    let api = config.startup_api();
    // serenity falls back to Discord's own gateway if `GET /gateway` fails; check first.
    reach(&api, &base).await?;
    if let Some(scope) = config.register {
        register_if_changed(&served.engine(), &config, scope).await?;
        if let Some(mut changed) = config.commands_changed.clone() {
            let (served, config) = (served.clone(), config.clone());
            tokio::spawn(async move {
                while changed.changed().await.is_ok() {
                    let engine = served.engine();
                    if let Err(e) = register_if_changed(&engine, &config, scope).await {
                        error!(error = %e, "re-registering the changed commands failed");
                    }
                }
            });
        }
    }
    let shards = shard_count(&api, &base).await?;
    let manager = Arc::new(OnceLock::new());
    let handler = Handler {
        served: served.clone(),
        followup: FollowUp::new(config.api_base.as_deref()),
        shards: manager.clone(),
    };
    // Slash commands need no privileged intents, nor any intent at all.
    let mut client: Client = ClientBuilder::new_with_http(http, GatewayIntents::empty())
        .event_handler(handler)
        .await
        .map_err(|e| GatewayError::Other(e.to_string()))?;
    let shard_manager = client.shard_manager.clone();
    let _ = manager.set(shard_manager.clone());
    crate::telemetry::record_shards(shards);
    info!(api = %base, shards, "connecting to the gateway");
    // What `start_autosharded` does, with the count asked above (under a deadline, checked).
    // serenity starts one shard at a time, 5 s apart (its shard queuer), whatever
    // `max_concurrency` allows: slower than Discord permits for very large bots, never faster.
    let started = tokio::spawn(async move { client.start_shards(shards).await });
    until_stopped(started, shard_manager, &served, shutdown).await
}

/// Waits for the shards to stop by themselves (an error, or 4004) or for `shutdown` (then
/// closes them and lets in-flight interactions finish).
async fn until_stopped(
    mut started: tokio::task::JoinHandle<serenity::Result<()>>,
    shards: Arc<ShardManager>,
    served: &Served,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), GatewayError> {
    tokio::select! {
        result = &mut started => {
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(serenity::Error::Gateway(serenity::gateway::GatewayError::InvalidAuthentication))) => {
                    Err(GatewayError::BadToken("gateway close code 4004, authentication failed".into()))
                }
                Ok(Err(e)) => Err(GatewayError::Other(e.to_string())),
                Err(e) => Err(GatewayError::Other(e.to_string())),
            };
        }
        () = shutdown => {
            info!("shutting down: closing the gateway connection");
            shards.shutdown_all().await;
            if !served.in_flight().drained(DRAIN_DEADLINE).await {
                warn!("some interactions were still being answered at the shutdown deadline");
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), started).await;
            info!("gateway closed");
        }
    }
    Ok(())
}

/// How many shards to run: Discord's recommendation from `GET /api/v10/gateway/bot`, asked
/// like every start-up request ([`startup_api`]: under a deadline, through 429s and brief
/// outages). serenity's own `start_autosharded` asks with no deadline (a request that never
/// ends would hang start-up) and starts `shards - 1` as its last shard (a count of 0 panics in
/// a debug build and, in a release build, starts nothing and waits).
async fn shard_count(api: &StartupApi, base: &str) -> Result<u32, GatewayError> {
    let request = "GET /api/v10/gateway/bot";
    let failed = |reason: String| GatewayError::ShardCount {
        base: base.to_owned(),
        reason,
    };
    let answer = api
        .call(Method::GET, "/gateway/bot", None)
        .await
        .map_err(|f| GatewayError::from_startup(f, request, failed))?;
    let gateway: BotGateway = serde_json::from_value(answer).map_err(|e| {
        failed(format!(
            "answered something else than Discord documents: {e}"
        ))
    })?;
    let limit = &gateway.session_start_limit;
    info!(
        recommended = gateway.shards,
        session_starts_remaining = limit.remaining,
        max_concurrency = limit.max_concurrency,
        "Discord's gateway advice"
    );
    plan(&gateway, base)
}

/// The shard count to run from Discord's advice, unless it cannot be followed.
fn plan(gateway: &BotGateway, base: &str) -> Result<u32, GatewayError> {
    let limit = &gateway.session_start_limit;
    match gateway.shards {
        0 => Err(GatewayError::ShardCount {
            base: base.to_owned(),
            reason: "Discord recommended 0 shards".into(),
        }),
        // Each shard's IDENTIFY is a session start; past the limit Discord resets the token.
        n if u64::from(n) > limit.remaining => Err(GatewayError::SessionStartLimit {
            remaining: limit.remaining,
            shards: n,
            reset_minutes: limit.reset_after.div_ceil(60_000),
        }),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice(shards: u32, remaining: u64) -> BotGateway {
        serde_json::from_value(serde_json::json!({
            "url": "wss://gateway.discord.gg", "shards": shards,
            "session_start_limit": {"total": 1000, "remaining": remaining, "reset_after": 5_400_001, "max_concurrency": 1}
        }))
        .expect("a /gateway/bot answer as Discord documents it")
    }

    #[test]
    fn the_recommended_count_is_run() {
        assert_eq!(plan(&advice(1, 1000), "b").ok(), Some(1));
        assert_eq!(plan(&advice(7, 7), "b").ok(), Some(7));
    }

    #[test]
    fn no_shards_is_an_error_not_a_panic() {
        let e = plan(&advice(0, 1000), "http://x").expect_err("0 shards");
        assert_eq!(
            e.to_string(),
            "cannot learn how many gateway shards to run: GET /api/v10/gateway/bot at http://x: Discord recommended 0 shards"
        );
    }

    #[test]
    fn too_few_session_starts_left_refuses_to_connect() {
        let e = plan(&advice(3, 2), "b").expect_err("over the limit");
        assert!(matches!(e, GatewayError::SessionStartLimit { .. }));
        assert!(
            e.to_string().starts_with(
                "not connecting: 3 shards need 3 gateway session starts and Discord allows 2 more in the next 91 min;"
            ),
            "{e}"
        );
    }
}

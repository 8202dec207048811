//! Commands declared in `facts.toml`: options resolved and checked, then the template rendered.

use minijinja::value::Value;

use super::super::command::topic_facts;
use super::super::echo;
use super::super::language::{self, say};
use super::super::render::{self, fact_value_in};
use super::super::shown;
use super::super::{
    CommandError, Context, Embed, EmbedField, Engine, Footer, Invocation, OptionValue, Outcome,
    Reply,
};
use crate::facts::{Choices, CommandDef, Diagnostic, Locale, OptionDef, OptionKind};

/// Resolves a reader's value against an option's choices: the value itself, the display name
/// or (for topic choices) an alias or a translated title, case-insensitively. A chosen fact
/// reads in `lang`; a value no choice matches is explained in `reader` (the reader's language).
fn resolve(
    engine: &Engine,
    option: &OptionDef,
    value: &OptionValue,
    lang: Option<&Locale>,
    reader: Option<&Locale>,
) -> Result<Value, String> {
    let text = value.to_string();
    let wanted = text.trim().to_lowercase();
    match &option.choices {
        Choices::Free => Ok(match value {
            OptionValue::String(s) => Value::from(s.clone()),
            OptionValue::Integer(i) => Value::from(*i),
            OptionValue::Number(n) => Value::from(*n),
            OptionValue::Boolean(b) => Value::from(*b),
            OptionValue::User(id) | OptionValue::Role(id) => Value::from(id.to_string()),
        }),
        Choices::Fixed(list) => list
            .iter()
            .find(|c| c.value.to_lowercase() == wanted || c.name.to_lowercase() == wanted)
            .map(|c| Value::from(c.value.clone()))
            .ok_or_else(|| {
                let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
                let guess = crate::engine::search::nearest(&text, names.iter().copied());
                let value = echo::code(&text);
                let args = [("value", value.as_str()), ("option", &option.name)];
                no_choice(reader, "error.not_a_choice", &args, guess, &names)
            }),
        Choices::Topic(topic) => engine
            .facts()
            .facts
            .iter()
            .position(|f| {
                f.topics.iter().any(|t| t == topic)
                    && (f.id == wanted
                        || f.title.to_lowercase() == wanted
                        || f.aliases.iter().any(|a| a.to_lowercase() == wanted)
                        || f.translations
                            .values()
                            .any(|t| t.title.to_lowercase() == wanted))
            })
            .map(|i| fact_value_in(i, engine.facts(), lang))
            .ok_or_else(|| {
                // (English title, title in the reader's language) of each choice.
                let titles: Vec<(&str, &str)> = topic_facts(engine.facts(), topic)
                    .map(|f| (f.title.as_str(), language::title(f, reader)))
                    .collect();
                let names: Vec<&str> = titles.iter().map(|&(_, shown)| shown).collect();
                // A near miss of the English title (readers type it too) is named in theirs.
                let near = crate::engine::search::nearest(
                    &text,
                    titles.iter().flat_map(|&(english, shown)| [english, shown]),
                );
                let guess = near.and_then(|n| {
                    titles
                        .iter()
                        .find(|&&(english, shown)| english == n || shown == n)
                        .map(|&(_, shown)| shown)
                });
                let value = echo::code(&text);
                no_choice(
                    reader,
                    "error.no_facts_about",
                    &[("value", &value)],
                    guess,
                    &names,
                )
            }),
    }
}

/// The refusal of a value no choice matches, in `lang`: `key` with `args`, the near miss
/// (`key_guess`) when there is one, and every choice's name.
fn no_choice(
    lang: Option<&Locale>,
    key: &str,
    args: &[(&str, &str)],
    guess: Option<&str>,
    names: &[&str],
) -> String {
    let choices = names.join(", ");
    let mut args = args.to_vec();
    args.push(("choices", &choices));
    match guess {
        Some(guess) => {
            args.push(("guess", guess));
            say(lang, &format!("{key}_guess"), &args)
        }
        None => say(lang, key, &args),
    }
}

/// The template's `options` map: every declared option present (`none` when not given), each
/// given value resolved against its choices. Names and types were checked by the command model.
fn options(engine: &Engine, def: &CommandDef, inv: &Invocation) -> Result<Value, String> {
    let lang = engine.language(inv);
    let reader = engine.reader_language(inv);
    let mut map = Vec::with_capacity(def.options.len());
    for option in &def.options {
        let value = match inv.option(&option.name) {
            None => Value::from(()),
            Some(v) => resolve(engine, option, v, lang, reader)?,
        };
        map.push((option.name.clone(), value));
    }
    Ok(Value::from_iter(map))
}

/// Renders the command's content and embed, in the language the answer is written in.
fn render(
    engine: &Engine,
    def: &CommandDef,
    options: Value,
    inv: &Invocation,
) -> Result<Reply, minijinja::Error> {
    let lang = engine.language(inv);
    let now = engine
        .moment(inv.now, inv.locale.as_deref())
        .in_language(lang);
    let locale = inv.locale.as_deref();
    let t = engine.templates().get(lang);
    let content = t.render(&def.name, options.clone(), &now, locale)?;
    let mut embeds = Vec::new();
    if let Some(e) = &def.embed {
        let part = |name: &str, present: bool| -> Result<Option<String>, minijinja::Error> {
            if !present {
                return Ok(None);
            }
            let text = t.render(
                &format!("{}:{name}", def.name),
                options.clone(),
                &now,
                locale,
            )?;
            Ok(Some(text).filter(|s| !s.is_empty()))
        };
        let embed = Embed {
            title: part("title", e.title.is_some())?,
            description: part("description", e.description.is_some())?,
            footer: part("footer", e.footer.is_some())?.map(|text| Footer { text }),
            color: e.color,
            fields: part("fields", e.fields.is_some())?
                .map(|text| fields(&text))
                .unwrap_or_default(),
        };
        // A template may leave the embed out (`/systems name:…` answers in the content).
        let empty = embed.title.is_none()
            && embed.description.is_none()
            && embed.footer.is_none()
            && embed.fields.is_empty();
        if !empty {
            embeds.push(embed);
        }
    }
    Ok(Reply {
        content,
        embeds,
        ephemeral: def.ephemeral,
        ..Reply::default()
    })
}

/// Embed fields from rendered text: blocks separated by a blank line, each a name line and
/// the value's lines (a block of one line is a name with an empty value, shown as "—").
fn fields(text: &str) -> Vec<EmbedField> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let (name, value) = block.trim().split_once('\n').unwrap_or((block.trim(), "—"));
            EmbedField {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
                inline: false,
            }
        })
        .collect()
}

/// Runs the declared command `index` of the fact base.
pub fn run(ctx: &Context<'_>, index: usize) -> Outcome {
    let def = ctx
        .facts()
        .commands
        .get(index)
        .ok_or_else(|| CommandError::Internal {
            reason: format!("declared command {index} is not in the fact base"),
            apology: say(ctx.reader_language(), "sorry.declared", &[]),
        })?;
    let options = options(ctx.engine, def, ctx.invocation).map_err(CommandError::User)?;
    let (reply, shown) = shown::collect(|| render(ctx.engine, def, options, ctx.invocation));
    let mut reply = reply.map_err(|e| {
        // `check` renders every command before the fact base is served, so this means a case
        // lint did not cover; tell the reader plainly and the operator precisely.
        CommandError::Internal {
            reason: format!("template failed to render: {e}"),
            apology: say(
                ctx.reader_language(),
                "sorry.template",
                &[("command", &def.name)],
            ),
        }
    })?;
    reply.shown = shown;
    Ok(reply)
}

/// Sample values for one option, used by `lint`: none (if optional) and every choice, or one
/// plausible value of the option's type.
fn sample_values(engine: &Engine, option: &OptionDef) -> Vec<Option<OptionValue>> {
    let mut out = Vec::new();
    if !option.required {
        out.push(None);
    }
    match &option.choices {
        Choices::Fixed(list) => out.extend(
            list.iter()
                .map(|c| Some(OptionValue::String(c.value.clone()))),
        ),
        Choices::Topic(topic) => out.extend(
            topic_facts(engine.facts(), topic).map(|f| Some(OptionValue::String(f.id.clone()))),
        ),
        Choices::Free => out.push(Some(match option.kind {
            OptionKind::String => OptionValue::String("x".repeat(100)),
            OptionKind::Integer => OptionValue::Integer(1),
            OptionKind::Number => OptionValue::Number(1.5),
            OptionKind::Boolean => OptionValue::Boolean(true),
            OptionKind::User => OptionValue::User(1),
            OptionKind::Role => OptionValue::Role(1),
        })),
    }
    out
}

/// The option sets `lint` renders a command with: none, then one option varied at a time over
/// its samples, the others left at their first sample.
fn sample_cases(engine: &Engine, def: &CommandDef) -> Vec<Vec<(String, OptionValue)>> {
    let mut cases: Vec<Vec<(String, OptionValue)>> = vec![Vec::new()];
    let first: Vec<Option<OptionValue>> = def
        .options
        .iter()
        .map(|o| sample_values(engine, o).into_iter().next().flatten())
        .collect();
    for (i, option) in def.options.iter().enumerate() {
        for v in sample_values(engine, option) {
            let case = def
                .options
                .iter()
                .enumerate()
                .filter_map(|(j, o)| {
                    if i == j { v.clone() } else { first[j].clone() }.map(|v| (o.name.clone(), v))
                })
                .collect();
            cases.push(case);
        }
    }
    cases.dedup();
    cases
}

/// Renders `def` for `inv` as lint does: option or render errors and Discord-limit overflows.
fn lint_case(engine: &Engine, def: &CommandDef, inv: &Invocation, shown: &str) -> Vec<Diagnostic> {
    let at_template =
        |message: String| Diagnostic::new(def.template.span.clone(), &def.template.field, message);
    let options = match options(engine, def, inv) {
        Ok(o) => o,
        Err(message) => return vec![at_template(format!("{shown}: {message}"))],
    };
    match render(engine, def, options, inv) {
        Ok(reply) => reply
            .overflows()
            .into_iter()
            .map(|problem| {
                at_template(format!("{shown}: {problem}"))
                    .help("shorten the template or select fewer facts")
            })
            .collect(),
        Err(e) => vec![render::diagnostic(
            engine.facts(),
            template_of(def, &e, engine.language(inv)),
            &e,
            &format!(" ({shown})"),
        )],
    }
}

/// See [`Engine::lint`].
pub fn lint(engine: &Engine) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for def in &engine.facts().commands {
        let cases = sample_cases(engine, def);
        for (when, now) in engine.sample_times() {
            for locale in engine.sample_locales() {
                for case in &cases {
                    let mut inv = Invocation::new(def.name.clone(), now);
                    inv.options = case.clone();
                    inv.locale = locale.clone();
                    inv.guild_locale = locale.clone();
                    let shown = describe(&def.name, case, when, locale.as_deref());
                    out.extend(lint_case(engine, def, &inv, &shown));
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.span.as_ref().map(|s| s.start), &a.message)
            .cmp(&(b.span.as_ref().map(|s| s.start), &b.message))
    });
    out.dedup_by(|a, b| {
        a.field == b.field && a.message.split(" (").next() == b.message.split(" (").next()
    });
    out
}

/// The template source an error came from (content or an embed part, in `lang`).
fn template_of<'a>(
    def: &'a CommandDef,
    e: &minijinja::Error,
    lang: Option<&Locale>,
) -> &'a crate::facts::TemplateSource {
    let code = lang.map(|l| l.code.as_str());
    let name = e.name().unwrap_or("");
    match name.split_once(':') {
        Some((_, part)) => def
            .embed_part_in(code, part)
            .unwrap_or_else(|| def.template_in(code)),
        None => def.template_in(code),
    }
}

fn describe(
    name: &str,
    case: &[(String, OptionValue)],
    when: &str,
    locale: Option<&str>,
) -> String {
    let mut line = format!("/{name}");
    for (k, v) in case {
        line.push_str(&format!(" {k}:{v}"));
    }
    let locale = locale.map(|l| format!(", locale {l}")).unwrap_or_default();
    format!("`{line}` ({when}{locale})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_blocks_of_a_name_line_and_a_value() {
        let got =
            fields("Arrow (reported)\nArrow is cited.\n\nBarak\nline one\nline two\n\n\nLone");
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Arrow (reported)", "Arrow is cited."),
                ("Barak", "line one\nline two"),
                ("Lone", "—")
            ]
        );
        assert!(fields("  \n\n ").is_empty());
    }
}

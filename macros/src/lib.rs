//! `#[seedloop::test]`: run an async test body under many seeded schedules.
//!
//! Written on `proc_macro` alone: the attribute only needs to find
//! `async fn name()`, check its arguments, and wrap the body, which plain
//! token handling does without pulling `syn` into every user's build.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Runs an `async fn` test under many schedules with `seedloop::check::Check`.
///
/// ```ignore
/// #[seedloop::test(seeds = 1000)]
/// async fn transfer_keeps_the_total() {
///     // ...
/// }
/// ```
///
/// The function is `async fn name()` or `async fn name() -> Result<(), E>`
/// with `E: Debug` (an `Err` fails the run, as with `#[test]`).
///
/// Arguments (all optional), each a `Check` builder method of the same name:
/// `seeds = N` (seeds `0..N`, default 100), `policy = "pct:2"` (any
/// `SEEDLOOP_POLICY` form), `exhaustive = K` (every schedule with at most K
/// deviations from FIFO, instead of seeds), `threads = N`,
/// `expected_steps = N` (PCT's estimate of the run's length),
/// `max_runs = N`, `step_limit = N`, `shrink = bool`, `shrink_budget = N`,
/// `isolate_panics = bool`, `self_check_every_seed = bool`,
/// `self_check_sample = N`, `inject_cancels = bool` (the run may cancel
/// marked tasks, `TaskGroup` children and tasks inside a `timeout` at an
/// await of its choosing), `inject_cancels_up_to = N`,
/// `guided_by_assertions = bool`, `must_exercise = "message"` (repeatable).
/// The `SEEDLOOP_*`
/// environment variables override them; see `docs/exploring.md`.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr, item) {
        Ok(ts) => ts,
        Err((span, msg)) => compile_error(span, &msg),
    }
}

type Error = (Span, String);

fn expand(attr: TokenStream, item: TokenStream) -> Result<TokenStream, Error> {
    let settings = parse_args(attr)?;
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let async_at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"))
        .ok_or_else(|| {
            (
                Span::call_site(),
                "#[seedloop::test] goes on an `async fn` with no arguments".to_string(),
            )
        })?;
    let name = match (tokens.get(async_at + 1), tokens.get(async_at + 2)) {
        (Some(TokenTree::Ident(f)), Some(TokenTree::Ident(name))) if f.to_string() == "fn" => {
            name.clone()
        }
        _ => {
            return Err((
                tokens[async_at].span(),
                "#[seedloop::test] goes on an `async fn` with no arguments".to_string(),
            ))
        }
    };
    match tokens.get(async_at + 3) {
        Some(TokenTree::Group(g))
            if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty() => {}
        Some(t) => {
            return Err((
                t.span(),
                "a #[seedloop::test] function takes no arguments: it is run once per schedule"
                    .to_string(),
            ))
        }
        None => return Err((name.span(), "expected `()` after the name".to_string())),
    }
    let Some(TokenTree::Group(body)) = tokens.last().cloned() else {
        return Err((name.span(), "expected a function body".to_string()));
    };
    if body.delimiter() != Delimiter::Brace {
        return Err((body.span(), "expected a function body".to_string()));
    }
    // The declared return type: the tokens between `->` and the body.
    let after_args = async_at + 4;
    let body_at = tokens.len() - 1;
    let ret: TokenStream = match &tokens[after_args..body_at] {
        [] => "()".parse().expect("valid tokens"),
        [TokenTree::Punct(dash), TokenTree::Punct(gt), ty @ ..]
            if dash.as_char() == '-' && gt.as_char() == '>' && !ty.is_empty() =>
        {
            if ty
                .iter()
                .any(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "where"))
            {
                return Err((ty[0].span(), UNSUPPORTED.to_string()));
            }
            ty.iter().cloned().collect()
        }
        [t, ..] => return Err((t.span(), UNSUPPORTED.to_string())),
    };
    // Everything before `async` (attributes, visibility), then a plain `fn`.
    tokens.remove(async_at);
    let signature_end = tokens.len() - 1;
    // The return type is checked outside the test function too, so that an
    // unsupported one is an error even where `#[test]` items are compiled out.
    let mut out: TokenStream = "const _: fn() = || { fn supported<T: ::seedloop::check::TestReturn>() {} supported::<__SEEDLOOP_RET__>(); };"
        .parse()
        .expect("valid tokens");
    out = replace_placeholders(out, &TokenStream::new(), &ret);
    out.extend(
        "#[::core::prelude::v1::test]"
            .parse::<TokenStream>()
            .expect("valid tokens"),
    );
    out.extend(tokens[..signature_end].iter().cloned());
    let check = format!(
        "{{ ::seedloop::check::Check::new(){settings}\
           .name(::core::concat!(::core::module_path!(), \"::\", {name:?}).split_once(\"::\").map_or(\"\", |(_, rest)| rest))\
           .run(|| async move {{ \
               let __seedloop_out: __SEEDLOOP_RET__ = async move {{ __SEEDLOOP_BODY__ }}.await; \
               ::seedloop::check::TestReturn::into_outcome(__seedloop_out) \
           }}); \
           <__SEEDLOOP_RET__ as ::seedloop::check::TestReturn>::passed() }}",
        name = name.to_string()
    );
    let check: TokenStream = check
        .parse()
        .map_err(|_| (name.span(), "internal: bad expansion".to_string()))?;
    out.extend([TokenTree::Group(Group::new(
        Delimiter::Brace,
        replace_placeholders(check, &body.stream(), &ret),
    ))]);
    Ok(out)
}

/// What the attribute accepts, said when it meets anything else.
const UNSUPPORTED: &str = "#[seedloop::test] goes on `async fn name()` or \
    `async fn name() -> Result<(), E>` (E: Debug), as #[test] does";

/// Swaps the `__SEEDLOOP_BODY__` and `__SEEDLOOP_RET__` placeholders for the
/// user's body and return type.
fn replace_placeholders(ts: TokenStream, body: &TokenStream, ret: &TokenStream) -> TokenStream {
    ts.into_iter()
        .flat_map(|t| -> Vec<TokenTree> {
            match t {
                TokenTree::Ident(i) if i.to_string() == "__SEEDLOOP_BODY__" => {
                    body.clone().into_iter().collect()
                }
                TokenTree::Ident(i) if i.to_string() == "__SEEDLOOP_RET__" => {
                    ret.clone().into_iter().collect()
                }
                TokenTree::Group(g) => {
                    let mut ng =
                        Group::new(g.delimiter(), replace_placeholders(g.stream(), body, ret));
                    ng.set_span(g.span());
                    vec![TokenTree::Group(ng)]
                }
                other => vec![other],
            }
        })
        .collect()
}

/// The arguments, each with the `Check` builder call it becomes.
const ARGUMENTS: &str = "seeds = N, policy = \"..\", exhaustive = K, threads = N, \
    expected_steps = N, max_runs = N, step_limit = N, shrink = bool, shrink_budget = N, \
    isolate_panics = bool, self_check_every_seed = bool, self_check_sample = N, \
    inject_cancels = bool, inject_cancels_up_to = N, guided_by_assertions = bool, \
    must_exercise = \"..\"";

/// Parses `key = value, ...` into `Check` builder calls.
fn parse_args(attr: TokenStream) -> Result<String, Error> {
    let tokens: Vec<TokenTree> = attr.into_iter().collect();
    let mut calls = String::new();
    for arg in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let (key, value) = match arg {
            [] => continue,
            [TokenTree::Ident(key), TokenTree::Punct(eq), value] if eq.as_char() == '=' => {
                (key, value)
            }
            other => {
                let span = other.first().map_or(Span::call_site(), TokenTree::span);
                return Err((span, format!("expected `key = value`, one of: {ARGUMENTS}")));
            }
        };
        let v = value.to_string();
        let k = key.to_string();
        calls += &match k.as_str() {
            "seeds" => format!(".seeds(0..{})", int(value, &v)?),
            "exhaustive"
            | "threads"
            | "expected_steps"
            | "max_runs"
            | "step_limit"
            | "shrink_budget"
            | "self_check_sample"
            | "inject_cancels_up_to" => {
                format!(".{k}({})", int(value, &v)?)
            }
            "must_exercise" => {
                if !v.starts_with('"') {
                    return Err((
                        value.span(),
                        "must_exercise takes a string, e.g. must_exercise = \"the retry path\""
                            .into(),
                    ));
                }
                format!(".must_exercise({v})")
            }
            "shrink"
            | "isolate_panics"
            | "self_check_every_seed"
            | "inject_cancels"
            | "guided_by_assertions" => {
                format!(".{k}({})", boolean(value, &v)?)
            }
            "policy" => {
                if !v.starts_with('"') {
                    return Err((
                        value.span(),
                        "policy takes a string, e.g. policy = \"pct:2\"".into(),
                    ));
                }
                format!(
                    ".policy({v}.parse().unwrap_or_else(|e| panic!(\"#[seedloop::test(policy = {{:?}})]: {{}}\", {v}, e)))"
                )
            }
            other => {
                return Err((
                    key.span(),
                    format!("unknown argument `{other}`: expected one of: {ARGUMENTS}"),
                ))
            }
        };
    }
    Ok(calls)
}

fn boolean(value: &TokenTree, text: &str) -> Result<&'static str, Error> {
    match text {
        "true" => Ok("true"),
        "false" => Ok("false"),
        _ => Err((value.span(), format!("expected true or false, got {text}"))),
    }
}

fn int(value: &TokenTree, text: &str) -> Result<u64, Error> {
    text.replace('_', "")
        .parse()
        .map_err(|_| (value.span(), format!("expected a whole number, got {text}")))
}

fn compile_error(span: Span, msg: &str) -> TokenStream {
    let mut ts: TokenStream = TokenStream::new();
    let mut ident = Ident::new("compile_error", span);
    ident.set_span(span);
    ts.extend([
        TokenTree::Ident(ident),
        TokenTree::Punct(Punct::new('!', Spacing::Alone)),
        TokenTree::Group(Group::new(
            Delimiter::Parenthesis,
            TokenTree::Literal(Literal::string(msg)).into(),
        )),
        TokenTree::Punct(Punct::new(';', Spacing::Alone)),
    ]);
    ts
}

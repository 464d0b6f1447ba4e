//! The citizen's routes, declared once (`routes::Def`). The citizen worker answers exactly
//! these (and health, the icon and the static assets); they answer in `handlers.rs`.

use crate::org::UnitId;
use crate::routes::{BodyLimit, Def, Method::*, Route};

/// A citizen's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VotingRoute<'a> {
    /// The code-entry page, or with `?code=` a redirect to that code's vote page.
    Home,
    /// "Thank you for your vote!", with the receipt when there is one.
    Thanks,
    /// The vote page of a code (`/r/` or `/R/`: the printed URL is in capitals).
    VotePage { token: &'a str },
    /// A unit's feedback form for its website: who served you, then their vote page.
    UnitForm { unit: Option<UnitId> },
    /// The vote page's form sent.
    VoteForm { token: &'a str },
    /// A vote as JSON.
    ApiVote,
}

fn voting(r: VotingRoute<'_>) -> Option<Route<'_>> {
    Some(Route::Voting(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/", |_| voting(VotingRoute::Home)).public(),
    Def::new(Get, "/thanks", |_| voting(VotingRoute::Thanks)).public(),
    Def::new(Get, "/r/{token}", |p| {
        voting(VotingRoute::VotePage {
            token: p.nonempty()?,
        })
    })
    .public(),
    Def::new(Post, "/r/{token}", |p| {
        voting(VotingRoute::VoteForm {
            token: p.nonempty()?,
        })
    })
    .public()
    .body(BodyLimit::Vote),
    Def::new(Get, "/f/{id}", |p| {
        voting(VotingRoute::UnitForm { unit: p.unit() })
    })
    .public(),
    Def::new(Post, "/api/v1/votes", |_| voting(VotingRoute::ApiVote))
        .public()
        .body(BodyLimit::Vote),
];

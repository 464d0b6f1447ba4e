//! STUB — being written by a helper. Interface is fixed; see the helper brief.
use crate::i18n::Lang;
use crate::scale::Scale;

pub struct EmployeeCard<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub unit: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    NoScore,
    CommentTooLong,
    InvalidContact,
}

#[derive(Debug, Default)]
pub struct FormState<'a> {
    pub score: Option<u8>,
    pub comment: &'a str,
    pub contact: &'a str,
    pub problem: Option<FormProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    InvalidCode,
    RevokedCode,
    NotFound,
    BadRequest,
    TooManyRequests,
    Unavailable,
}

pub fn vote_page(
    _lang: Lang,
    _path: &str,
    _card: &EmployeeCard,
    _scale: &Scale,
    _state: &FormState,
) -> String {
    unimplemented!()
}
pub fn thanks_page(_lang: Lang) -> String {
    unimplemented!()
}
pub fn problem_page(_lang: Lang, _problem: Problem) -> String {
    unimplemented!()
}
pub fn content_security_policy() -> String {
    unimplemented!()
}

//! What a session keeps of a ConfirmEdit captcha asked and not answered yet; asking and
//! checking are `auth::captcha`'s.

use serde::{Deserialize, Serialize};

/// A captcha as ConfirmEdit keeps it in the session (`captcha{id}` →
/// `['question' => …, 'answer' => …, 'index' => id]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captcha {
    /// SimpleCaptcha: `"57−3"` (U+2212 for minus); QuestyCaptcha: the question, HTML.
    pub question: String,
    pub answer: Answer,
}

/// SimpleCaptcha keeps a PHP int; QuestyCaptcha the configured string or list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Number(i64),
    Words(Vec<String>),
}

/// A captcha waiting in the session for its answer, under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCaptcha {
    pub id: String,
    pub captcha: Captcha,
}

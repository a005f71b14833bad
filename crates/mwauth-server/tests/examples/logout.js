// Source: MediaWiki's API:Logout documentation page (Spanish edition, "API:Cierre de sesión"),
// section "Código de muestra" / JavaScript (Node.js, the `request` package); copied from /work/shared/seed/API-Logout.es.txt.
// Changed, and nothing else (every other line is exactly as on the page):
//   - this header comment;
//   - url = "https://en.wikipedia.org/w/api.php"; -> url = process.env.MW_API;
//   - lgname: "your_bot_username", -> lgname: process.env.MW_LGNAME,
//   - lgpassword: "your_bot_password", -> lgpassword: process.env.MW_LGPASSWORD,
// Needs `npm install --no-save request` in this directory (node_modules is git-ignored).
/*
logout.js
MediaWiki API Demos
Demo of `Logout` module: Log out and clear session data.
MIT License
*/
var request = require('request').defaults({jar: true}),
url = process.env.MW_API;
// Step 1: GET request to fetch login token
function getLoginToken() {
var params_0 = {
action: "query",
meta: "tokens",
type: "login",
format: "json"
};
request.get({ url: url, qs: params_0 }, function (error, res, body) {
if (error) {
return;
}
var data = JSON.parse(body);
loginRequest(data.query.tokens.logintoken);
});
}
// Step 2: POST request to log in.
// Use of main account for login is not
// supported. Obtain credentials via Special:BotPasswords
// (https://www.mediawiki.org/wiki/Special:BotPasswords) for lgname & lgpassword
function loginRequest(login_token) {
var params_1 = {
action: "login",
lgname: process.env.MW_LGNAME,
lgpassword: process.env.MW_LGPASSWORD,
lgtoken: login_token,
format: "json"
};
request.post({ url: url, form: params_1 }, function (error, res, body) {
if (error) {
return;
}
getCsrfToken();
});
}
// Step 3: GET request to fetch CSRF token
function getCsrfToken() {
var params_2 = {
action: "query",
meta: "tokens",
format: "json"
};
request.get({ url: url, qs: params_2 }, function(error, res, body) {
if (error) {
return;
}
var data = JSON.parse(body);
logoutRequest(data.query.tokens.csrftoken);
});
}
// Step 4: Send a POST request to logout
function logoutRequest(csrf_token) {
var params_3 = {
action: "logout",
token: csrf_token,
format: "json"
};
request.post({ url: url, form: params_3 }, function (error, res, body) {
if (error) {
return;
}
console.log(body);
});
}
// Start From Step 1
getLoginToken();

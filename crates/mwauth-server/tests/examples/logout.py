#!/usr/bin/python3
# Source: MediaWiki's API:Logout documentation page (Spanish edition, "API:Cierre de sesión"),
# section "Código de muestra" / Python; copied from /work/shared/seed/API-Logout.es.txt.
# Changed, and nothing else (every other line is exactly as on the page):
#   - this header comment;
#   - the added line `import os`, right after `import requests`;
#   - URL = "https://en.wikipedia.org/w/api.php" -> URL = os.environ["MW_API"];
#   - 'lgname':"your_bot_username" -> 'lgname':os.environ["MW_LGNAME"];
#   - 'lgpassword':"your_bot_password" -> 'lgpassword':os.environ["MW_LGPASSWORD"].
"""
logout.py
MediaWiki API Demos
Demo of `Logout` module: Log out and clear session data.
MIT License
"""
import requests
import os
S = requests.Session()
URL = os.environ["MW_API"]
# Step 1: Retrieve login token first
PARAMS_0 = {
'action':"query",
'meta':"tokens",
'type':"login",
'format':"json"
}
R = S.get(url=URL, params=PARAMS_0)
DATA = R.json()
LOGIN_TOKEN = DATA['query']['tokens']['logintoken']
# Step 2: Send a POST request to login. Using the main account for login is not
# supported. Obtain credentials via Special:BotPasswords
# (https://www.mediawiki.org/wiki/Special:BotPasswords) for lgname & lgpassword
PARAMS_1 = {
'action':"login",
'lgname':os.environ["MW_LGNAME"],
'lgpassword':os.environ["MW_LGPASSWORD"],
'lgtoken':LOGIN_TOKEN,
'format':"json"
}
R = S.post(URL, data=PARAMS_1)
DATA = R.json()
# Step 3: GET request to fetch CSRF token
PARAMS_2 = {
"action":"query",
"meta":"tokens",
"format":"json"
}
R = S.get(url=URL, params=PARAMS_2)
DATA = R.json()
CSRF_TOKEN = DATA['query']['tokens']['csrftoken']
# Step 4: Send a POST request to logout
PARAMS_3 = {
"action": "logout",
"token": CSRF_TOKEN,
"format": "json"
}
R = S.post(URL, data=PARAMS_3)
DATA = R.json()
print(DATA)

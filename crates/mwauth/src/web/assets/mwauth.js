/*
 * mwauth.js: the only script of mwauth's pages. It does for the button of
 * Special:UserLogout what MediaWiki's mediawiki.page.ready does for the logout link:
 * mw.Api().postWithToken( 'csrf', { action: 'logout' } ), then shows the page again, now
 * logged out. Without this script (or when the API call fails) the form is posted to
 * Special:UserLogout itself, which logs out the same way.
 */
( function () {
	'use strict';
	var form = document.getElementById( 'mw-userlogout-form' );
	if ( !form || !window.fetch || !window.URLSearchParams ) {
		return;
	}
	form.addEventListener( 'submit', function ( event ) {
		var api = form.getAttribute( 'data-mw-api' ),
			token = form.getAttribute( 'data-mw-csrf' ),
			done = form.getAttribute( 'data-mw-return' ),
			button = form.querySelector( 'button[type="submit"]' ),
			status = document.getElementById( 'mw-logout-status' ),
			body = new URLSearchParams();
		if ( !api || !token || !done ) {
			return;
		}
		event.preventDefault();
		if ( button ) {
			button.disabled = true;
		}
		if ( status ) {
			status.textContent = 'You are being logged out, please wait.';
			status.hidden = false;
		}
		body.set( 'action', 'logout' );
		body.set( 'token', token );
		body.set( 'format', 'json' );
		fetch( api, { method: 'POST', body: body, credentials: 'same-origin', cache: 'no-store' } )
			.then( function ( response ) {
				return response.json();
			} )
			.then( function ( data ) {
				if ( !data || data.error ) {
					throw new Error( data && data.error ? data.error.code : 'no answer' );
				}
				window.location.replace( done );
			} )
			.catch( function () {
				form.submit();
			} );
	} );
}() );

<?php
/**
 * Prints the test vectors baked into src/user/policy.rs, computed by MediaWiki 1.39 itself.
 *
 *   php policy-vectors.php --conf /tmp/mw-oracle/LocalSettings.php > policy-vectors.json
 *
 * Output: one JSON object with
 *   - "common": [[password, isCommon], ...] from \Wikimedia\CommonPasswords\CommonPasswords::isCommon;
 *   - "policy": [[user, password, groups, [[key, [params...]], ...], isOK, suggestChangeOnLogin,
 *                 English Status::getMessage() text or null], ...]
 *     from UserPasswordPolicy::checkUserPasswordForGroups with the default $wgPasswordPolicy.
 * Long passwords are written as {"repeat": unit, "times": n}. All strings are valid UTF-8 (the
 * Rust API takes &str). One vector per line, so that diffs stay readable.
 */
require '/usr/share/mediawiki/maintenance/Maintenance.php';

use MediaWiki\MainConfigNames;
use MediaWiki\MediaWikiServices;
use MediaWiki\User\UserIdentityValue;
use Wikimedia\CommonPasswords\CommonPasswords;

class PolicyVectors extends Maintenance {
	/** @var array[] password => [unit, times] for long ones */
	private $long = [];

	private function rep( string $unit, int $times ): string {
		$s = str_repeat( $unit, $times );
		$this->long[$s] = [ $unit, $times ];
		return $s;
	}

	private function enc( string $pw ) {
		return isset( $this->long[$pw] ) ? [ 'repeat' => $this->long[$pw][0], 'times' => $this->long[$pw][1] ] : $pw;
	}

	public function execute() {
		$common = [
			'', 'password', '123456', '12345678', '123456789', '1234567890', '12345', '1234', 'qwerty',
			'letmein', 'Password1', 'Password', 'PASSWORD', 'password1', 'password123', 'passw0rd',
			'abc123', 'iloveyou', 'dragon', 'monkey', 'football', 'baseball', 'shadow', 'master',
			'superman', 'trustno1', 'sunshine', 'princess', 'welcome', 'admin', 'administrator',
			'login', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1q2w3e4r', '111111', '000000', '654321',
			'666666', '121212', 'michael', 'jennifer', 'jordan23', 'hunter2', 'starwars', 'batman',
			'mustang', 'access', 'flower', 'hello', 'freedom', 'whatever', 'qazwsx', 'ninja',
			'azerty', 'solo', 'loveme', 'mediawiki', 'wikipedia', 'passpass', 'Passpass', 'testpass',
			'ExamplePassword', 'examplepassword', 'changeme', 'secret', 'god', 'love', 'sex', 'test',
			'test123', 'guest', 'root', 'toor', 'pass', 'a', 'aa', 'aaa', 'aaaaaa', 'abcdef', 'abcdefg',
			'1', '12', '123', '0', 'x', ' ', '  ', "\t", "\n", 'password ', ' password', 'Password!',
			'P@ssw0rd', 'P@ssword', 'Qwerty123', 'qwerty123', 'Welcome1', 'Summer2019', 'Winter2020',
			'correct horse battery staple', 'correcthorsebatterystaple', 'Tr0ub4dor&3',
			'mypassword', 'thisisapassword', 'iloveyou1', 'ILOVEYOU', 'Iloveyou', 'blink182',
			'michelle', 'jessica', 'charlie', 'andrew', 'matthew', 'daniel', 'ashley', 'bailey',
			'pépé', 'пароль', '密码', 'パスワード', 'contraseña', 'mot de passe', '😀😀😀😀', "e\u{301}",
			"\u{e9}", "caf\u{e9}", "cafe\u{301}", "\x00", "pass\x00word",
			$this->rep( 'a', 256 ), $this->rep( 'password', 512 ), $this->rep( 'x', 4096 ),
			$this->rep( 'x', 4097 ), $this->rep( 'ab', 10000 ), $this->rep( 'é', 2048 ),
		];
		// Deterministic "random" strings of assorted lengths and alphabets.
		mt_srand( 1039 );
		$alphabets = [
			'abcdefghijklmnopqrstuvwxyz',
			'0123456789',
			'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:,.<>/?',
		];
		for ( $i = 0; count( $common ) < 200; $i++ ) {
			$alpha = $alphabets[$i % 3];
			$len = 1 + mt_rand( 0, 15 );
			$s = '';
			for ( $j = 0; $j < $len; $j++ ) {
				$s .= $alpha[mt_rand( 0, strlen( $alpha ) - 1 )];
			}
			$common[] = $s;
		}
		$out = [ 'common' => [], 'policy' => [] ];
		foreach ( $common as $pw ) {
			$out['common'][] = [ $this->enc( $pw ), CommonPasswords::isCommon( $pw ) ];
		}

		$conf = $this->getConfig()->get( MainConfigNames::PasswordPolicy );
		$upp = new UserPasswordPolicy( $conf['policies'], $conf['checks'] );
		$priv = [ 'bureaucrat', 'sysop', 'interface-admin', 'bot' ];
		$cases = [];
		$users = [ 'Alice', 'Useruser', 'Useruser1', 'Apitestsysop', 'Apitestuser', 'Mr Password',
			'Alicebot', 'ÉLODIE', 'Élodie', 'X' ];
		$pws = [ '', 'a', 'A', 'alice', 'Alice', 'ALICE', 'lic', 'Alice2', 'Passpass', 'passpass',
			'Passpass1', 'testpass', 'Testpass', 'ExamplePassword', 'examplepassword', 'password',
			'Password', 'mr pass', 'Mr Password', ' ', 'qwerty', 'correct horse', 'Correct-Horse-9',
			'123456789', 'abcdefghi', 'abcdefghij', 'élodie', 'Élodie', 'é', 'lodie', 'X', 'x',
			'user', 'useruser', 'Useruser', 'Useruser1', '0', 'eeeeeeeee', 'Zq9!xK2#vL',
			$this->rep( 'x', 4096 ), $this->rep( 'x', 4097 ), $this->rep( 'é', 2048 ),
			$this->rep( 'é', 2049 ), $this->rep( 'password', 600 ) ];
		$groupSets = [ [], [ 'user' ], [ 'sysop' ], [ 'bot', 'user', 'autoconfirmed' ],
			[ 'bureaucrat' ], [ 'interface-admin' ], [ 'suppress', 'checkuser' ], [ 'default' ],
			[ 'sysop', 'bot' ] ];
		foreach ( $users as $ui => $user ) {
			foreach ( $pws as $pi => $pw ) {
				// Every password with every user for two group sets, the rest sparsely.
				$sets = [ $groupSets[0], $groupSets[2] ];
				$sets[] = $groupSets[( $ui + $pi ) % count( $groupSets )];
				foreach ( $sets as $g ) {
					$cases[serialize( [ $user, $pw, $g ] )] = [ $user, $pw, $g ];
				}
			}
		}
		foreach ( $cases as [ $user, $pw, $groups ] ) {
			$status = $upp->checkUserPasswordForGroups( new UserIdentityValue( 0, $user ), $pw, $groups );
			$errs = [];
			foreach ( $status->getErrors() as $e ) {
				$errs[] = [ $e['message'], array_map( 'strval', $e['params'] ) ];
			}
			$text = $status->isGood() ? null : $status->getMessage( false, false, 'en' )->text();
			$out['policy'][] = [ $user, $this->enc( $pw ), $groups, $errs, $status->isOK(),
				!empty( $status->getValue()['suggestChangeOnLogin'] ), $text ];
		}
		$flags = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR;
		$lines = [];
		foreach ( $out as $name => $rows ) {
			$lines[] = json_encode( $name, $flags ) . ": [\n" .
				implode( ",\n", array_map( static fn ( $r ) => json_encode( $r, $flags ), $rows ) ) . "\n]";
		}
		echo "{\n", implode( ",\n", $lines ), "\n}\n";
	}
}

$maintClass = PolicyVectors::class;
require RUN_MAINTENANCE_IF_MAIN;

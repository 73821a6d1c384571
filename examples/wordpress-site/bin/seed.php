<?php
/**
 * Seed the WordPress database once, with the same content every time: WordPress
 * installed by its own installer (wp_install) at the site's URL, then authors and
 * subscribers, posts and a page linking back to the site, comments by the
 * subscribers, and options that hold the URL inside PHP-serialized values (a text
 * widget, the theme's mods), as a real site's database does.
 *
 *     php bin/seed.php [--url=https://www.wordpress.lab]
 *
 * An installed database is left alone (so a refreshed staging keeps production's
 * data). --url defaults to SITE_URL from .env. Exit codes: 0 seeded or already
 * seeded, 2 bad usage.
 */

declare(strict_types=1);

require_once __DIR__ . '/../src/env.php';

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'François', 'Grace', 'Hannah', 'Ivan', 'José',
    'Katarzyna', 'Liam', 'Mia', 'Noah', 'Olivia', 'Paul', 'Rosa', 'Søren', 'Zoë', 'Jakub'];
const LAST = ['Müller', 'Smith', 'García', 'Dubois', 'Rossi', 'Nowak', 'Jensen', 'Brown', "O'Neill",
    'Novák', 'Schmidt', 'Martin', 'Kowalski', 'Larsen', 'Fischer', 'Moreau', 'Taylor', 'Weber'];
const AUTHORS = 4;
const USERS = 20;
const POSTS = 12;
const COMMENTS_PER_POST = 3;
const EPOCH = 1704067200; // 2024-01-01 00:00:00 UTC: dates never depend on "now"

$options = getopt('', ['url:']);
$url = rtrim((string) ($options['url'] ?? upkeep_env('SITE_URL', '')), '/');
$parts = parse_url($url);
if (!is_array($parts) || !in_array($parts['scheme'] ?? '', ['http', 'https'], true) || empty($parts['host'])) {
    fwrite(STDERR, "seed: --url or SITE_URL must be an absolute http(s) URL, got '$url'\n");
    exit(2);
}
// WordPress reads the request to guess its URL; a command line has none, so give it the site's.
$_SERVER['HTTP_HOST'] = $parts['host'];
$_SERVER['HTTPS'] = $parts['scheme'] === 'https' ? 'on' : 'off';
$_SERVER['REQUEST_URI'] = '/';
// Lets WordPress load on an empty database instead of sending us to its installer page.
define('WP_INSTALLING', true);

/** The installer would mail the new administrator; the lab sends no mail. */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password): void
{
}

require __DIR__ . '/../public/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (is_blog_installed()) {
    echo "seed: WordPress is installed already; nothing to do\n";
    exit(0);
}
// No request leaves the server while seeding (the installer tries the permalinks over HTTP).
add_filter('pre_http_request', fn () => new WP_Error('upkeep_lab', 'no HTTP while seeding'));

wp_install('WordPress Lab', 'admin', 'webmaster@example.org', true, '', wp_generate_password(24));
update_option('siteurl', $url);
update_option('home', $url);
update_option('blogdescription', 'A real WordPress that upkeep looks after');
update_option('permalink_structure', '/%postname%/');
update_option('timezone_string', 'Europe/Warsaw');

function day(int $n): string
{
    return gmdate('Y-m-d H:i:s', EPOCH + $n * 86400);
}

function slug(string $text): string
{
    return sanitize_title(remove_accents($text));
}

$users = [];
for ($i = 0; $i < USERS; $i++) {
    $first = FIRST[$i % count(FIRST)];
    $last = LAST[($i * 7) % count(LAST)];
    $login = slug("$first $last");
    $users[] = wp_insert_user([
        'user_login' => $login,
        'user_pass' => wp_generate_password(24),
        'user_email' => "$login@example.com",
        'user_url' => "https://$login.example.net",
        'display_name' => "$first $last",
        'nickname' => "$first $last",
        'first_name' => $first,
        'last_name' => $last,
        'description' => "$first writes from the office at $url/about/.",
        'role' => $i < AUTHORS ? 'author' : 'subscriber',
        'user_registered' => day($i),
    ]);
}

wp_insert_post([
    'post_type' => 'page',
    'post_status' => 'publish',
    'post_title' => 'About',
    'post_name' => 'about',
    'post_author' => $users[0],
    'post_date' => day(0),
    'post_content' => "<p>We are a small team. Read <a href=\"$url/\">our notes</a>.</p>",
]);

for ($p = 1; $p <= POSTS; $p++) {
    $post = wp_insert_post([
        'post_status' => 'publish',
        'post_title' => "Lab note $p",
        'post_name' => "lab-note-$p",
        'post_author' => $users[$p % AUTHORS],
        'post_date' => day(30 + $p),
        'post_content' => "<p>Note $p from the lab. See <a href=\"$url/about/\">who we are</a>"
            . ($p > 1 ? " and <a href=\"$url/lab-note-" . ($p - 1) . "/\">the note before</a>" : '')
            . '.</p>',
    ]);
    for ($c = 0; $c < COMMENTS_PER_POST; $c++) {
        $n = AUTHORS + ($p * COMMENTS_PER_POST + $c) % (USERS - AUTHORS);
        $author = get_userdata($users[$n]);
        wp_insert_comment([
            'comment_post_ID' => $post,
            'comment_author' => $author->display_name,
            'comment_author_email' => $author->user_email,
            'comment_author_url' => $author->user_url,
            'comment_author_IP' => '203.0.113.' . (10 + $n),
            'comment_agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/115.0',
            'comment_content' => "Thanks for note $p, {$author->first_name} here.",
            'comment_date' => day(31 + $p),
            'comment_date_gmt' => day(31 + $p),
            'comment_approved' => 1,
            'user_id' => $users[$n],
        ]);
    }
}

// Serialized options that hold the site's URL: a refresh must rewrite them and keep
// every string's length prefix right, or WordPress silently drops the whole option.
update_option('widget_text', [
    2 => [
        'title' => 'Find us',
        'text' => "<p>Visit <a href=\"$url/about/\">our about page</a> or write to hello@{$parts['host']}.</p>",
        'filter' => true,
        'visual' => true,
    ],
    '_multiwidget' => 1,
]);
update_option('theme_mods_twentytwentythree', [
    'custom_css_post_id' => -1,
    'header_banner' => ['image' => "$url/wp-content/uploads/banner.png", 'link' => "$url/about/"],
]);
flush_rewrite_rules(false);

printf("seed: installed WordPress at %s with %d users, %d posts and %d comments\n",
    $url, USERS + 1, POSTS, POSTS * COMMENTS_PER_POST);

"""Every message a person reads, in French and English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "digest.subject": {
        "fr": "[{brand}] Veille du {date} : {items} nouveauté(s), {mentions} mention(s)",
        "en": "[{brand}] Monitoring digest, {date}: {items} new item(s), {mentions} mention(s)",
    },
    "digest.title": {"fr": "Votre veille du matin", "en": "Your morning digest"},
    "digest.intro": {
        "fr": "Ce qui est paru entre le {start} et le {end} ({tz}).",
        "en": "What was published between {start} and {end} ({tz}).",
    },
    "digest.mentions": {"fr": "Mentions de {brand}", "en": "Mentions of {brand}"},
    "digest.mentions_hint": {
        "fr": "À lire en premier : on parle de vous.",
        "en": "Read these first: people are talking about you.",
    },
    "digest.topic": {"fr": "Thème : {name}", "en": "Topic: {name}"},
    "digest.competitor": {"fr": "Concurrent : {name}", "en": "Competitor: {name}"},
    "digest.other": {"fr": "Autres nouveautés", "en": "Other new items"},
    "digest.more": {"fr": "… et {count} de plus.", "en": "… and {count} more."},
    "digest.nothing": {
        "fr": "Rien de nouveau dans vos sources ces dernières 24 heures.",
        "en": "Nothing new in your sources in the last 24 hours.",
    },
    "digest.keywords": {"fr": "Mots-clés", "en": "Keywords"},
    "digest.source": {"fr": "Source", "en": "Source"},
    "digest.untitled": {"fr": "(sans titre)", "en": "(untitled)"},
    "digest.undated": {"fr": "date inconnue", "en": "undated"},
    "digest.feeds_trouble": {
        "fr": "Sources en difficulté",
        "en": "Sources in trouble",
    },
    "digest.feed_failures": {
        "fr": "{count} échec(s) de suite, prochain essai {retry} : {error}",
        "en": "{count} failure(s) in a row, next try {retry}: {error}",
    },
    "digest.footer": {
        "fr": "Envoyé par Porte-voix, votre veille auto-hébergée. {feeds} source(s) suivie(s).",
        "en": "Sent by Porte-voix, your self-hosted monitoring. {feeds} source(s) watched.",
    },
}

MESSAGES.update(
    {
        "accounts.subject": {
            "fr": "[{brand}] {count} compte(s) à reconnecter",
            "en": "[{brand}] {count} account(s) to reconnect",
        },
        "accounts.title": {"fr": "Comptes à reconnecter", "en": "Accounts to reconnect"},
        "accounts.failed": {"fr": "Refusé", "en": "Refused"},
        "accounts.expiring": {"fr": "Expire bientôt", "en": "Expiring soon"},
        "accounts.outdated": {"fr": "Version d'API bientôt retirée", "en": "API version retiring"},
        "accounts.intro": {
            "fr": "Vérification du {when} : ces comptes ne pourront bientôt plus publier ni lire "
            "les mentions. Générez un nouveau jeton sur le réseau, mettez-le dans le secret indiqué "
            "dans la configuration, puis lancez « portevoix accounts check ».",
            "en": "Check of {when}: these accounts will soon be unable to publish or read mentions. "
            "Create a new token on the network, store it in the secret named in the configuration, "
            "then run `portevoix accounts check`.",
        },
    }
)

MESSAGES.update(
    {
        "post.blocked.subject": {
            "fr": "[{brand}] Publication bloquée par la charte : {title}",
            "en": "[{brand}] Post blocked by the charter: {title}",
        },
        "post.blocked.title": {
            "fr": "La charte bloque cette publication",
            "en": "The charter blocks this post",
        },
        "post.blocked.intro": {
            "fr": "« {title} » ne peut pas partir en l'état. À corriger :",
            "en": "“{title}” cannot go out as it is. To fix:",
        },
        "post.approval.subject": {
            "fr": "[{brand}] À valider : {title}",
            "en": "[{brand}] To approve: {title}",
        },
        "post.approval.title": {
            "fr": "Une publication attend votre validation",
            "en": "A post awaits your approval",
        },
        "post.approval.intro": {
            "fr": "« {title} », prévue le {when}. Aperçu par réseau :",
            "en": "“{title}”, planned for {when}. Preview per network:",
        },
        "post.approval.button": {"fr": "Voir et décider", "en": "Review and decide"},
        "post.reminder.subject": {
            "fr": "[{brand}] Rappel, à valider : {title}",
            "en": "[{brand}] Reminder, to approve: {title}",
        },
        "post.reminder.title": {
            "fr": "Toujours en attente de votre validation",
            "en": "Still awaiting your approval",
        },
        "post.reminder.intro": {
            "fr": "« {title} », prévue le {when}, attend une décision depuis hier.",
            "en": "“{title}”, planned for {when}, has been waiting for a decision since yesterday.",
        },
        "post.reminder.button": {"fr": "Voir et décider", "en": "Review and decide"},
        "post.rejected.subject": {
            "fr": "[{brand}] Publication refusée : {title}",
            "en": "[{brand}] Post rejected: {title}",
        },
        "post.rejected.title": {"fr": "Publication refusée", "en": "Post rejected"},
        "post.rejected.intro": {
            "fr": "{by} a refusé « {title} ». Son commentaire :",
            "en": "{by} rejected “{title}”. Their comment:",
        },
        "post.expired.subject": {
            "fr": "[{brand}] Validation expirée : {title}",
            "en": "[{brand}] Approval expired: {title}",
        },
        "post.expired.title": {
            "fr": "Personne n'a validé à temps",
            "en": "Nobody approved in time",
        },
        "post.expired.intro": {
            "fr": "« {title} » n'est pas partie. Recréez-la si elle est toujours d'actualité.",
            "en": "“{title}” did not go out. Create it again if it still matters.",
        },
        "post.frozen.subject": {
            "fr": "[{brand}] Publication suspendue : {title}",
            "en": "[{brand}] Post held: {title}",
        },
        "post.frozen.title": {"fr": "Les publications sont gelées", "en": "Publishing is frozen"},
        "post.frozen.intro": {
            "fr": "« {title} » n'est pas partie : les publications sont gelées (crise en cours).",
            "en": "“{title}” did not go out: publishing is frozen (a crisis is under way).",
        },
        "post.published.subject": {
            "fr": "[{brand}] Publiée : {title}",
            "en": "[{brand}] Published: {title}",
        },
        "post.published.title": {"fr": "C'est en ligne", "en": "It is live"},
        "post.published.intro": {
            "fr": "« {title} » est publiée ici :",
            "en": "“{title}” is live here:",
        },
        "post.partially_published.subject": {
            "fr": "[{brand}] Publiée en partie : {title}",
            "en": "[{brand}] Partly published: {title}",
        },
        "post.partially_published.title": {
            "fr": "Publiée, sauf sur certains réseaux",
            "en": "Published, except on some networks",
        },
        "post.partially_published.intro": {
            "fr": "« {title} » : ce qui est en ligne, et ce qui a échoué et pourquoi :",
            "en": "“{title}”: what is live, and what failed and why:",
        },
        "post.failed.subject": {
            "fr": "[{brand}] Échec de publication : {title}",
            "en": "[{brand}] Publishing failed: {title}",
        },
        "post.failed.title": {"fr": "Rien n'est parti", "en": "Nothing went out"},
        "post.failed.intro": {
            "fr": "« {title} » n'a pu être publiée nulle part :",
            "en": "“{title}” could not be published anywhere:",
        },
        "page.title": {"fr": "Validation de publication", "en": "Post approval"},
        "page.scheduled": {"fr": "Prévue le {when}", "en": "Planned for {when}"},
        "page.by": {"fr": "Proposée par {author}", "en": "Proposed by {author}"},
        "page.charter": {"fr": "Charte éditoriale", "en": "Editorial charter"},
        "page.charter_ok": {"fr": "Rien à signaler.", "en": "Nothing to report."},
        "page.approve": {"fr": "Valider", "en": "Approve"},
        "page.reject": {"fr": "Refuser", "en": "Reject"},
        "page.comment": {
            "fr": "Commentaire pour l'auteur (obligatoire pour refuser)",
            "en": "Comment for the author (required to reject)",
        },
        "page.decided": {
            "fr": "Merci : décision enregistrée ({decision}).",
            "en": "Thank you: decision recorded ({decision}).",
        },
        "page.approved": {"fr": "validée", "en": "approved"},
        "page.rejected": {"fr": "refusée", "en": "rejected"},
        "page.already": {
            "fr": "Déjà décidé par {by} le {when}.",
            "en": "Already decided by {by} on {when}.",
        },
        "page.expired": {
            "fr": "Ce lien a expiré : la demande de validation n'est plus ouverte.",
            "en": "This link has expired: the approval request is closed.",
        },
        "page.closed": {
            "fr": "Cette publication n'attend plus de validation (état : {status}).",
            "en": "This post no longer awaits approval (status: {status}).",
        },
        "page.invalid": {
            "fr": "Ce lien n'est pas valide. Vérifiez qu'il est complet.",
            "en": "This link is not valid. Check that it is complete.",
        },
        "page.forged": {
            "fr": "Ce formulaire n'est pas valide : rouvrez le lien reçu par email.",
            "en": "This form is not valid: open the link from the email again.",
        },
        "page.need_comment": {
            "fr": "Un refus demande un commentaire pour l'auteur.",
            "en": "A rejection needs a comment for the author.",
        },
    }
)

MESSAGES.update(
    {
        "inbox.crisis.subject": {
            "fr": "[{brand}] ALERTE : une crise possible",
            "en": "[{brand}] ALERT: a possible crisis",
        },
        "inbox.crisis.title": {
            "fr": "Possible crise : à traiter maintenant",
            "en": "Possible crisis: act now",
        },
        "inbox.crisis.intro": {
            "fr": "Ce message peut toucher à la sécurité, au juridique ou à la réputation :",
            "en": "This message may concern safety, legal matters or reputation:",
        },
        "inbox.urgent.subject": {
            "fr": "[{brand}] Message urgent à traiter",
            "en": "[{brand}] Urgent message to handle",
        },
        "inbox.urgent.title": {
            "fr": "Un message demande une réponse rapide",
            "en": "A message needs a quick answer",
        },
        "inbox.urgent.intro": {"fr": "À traiter en priorité :", "en": "To handle first:"},
        "inbox.batch.subject": {
            "fr": "[{brand}] Boîte de réception : {count} message(s) à traiter",
            "en": "[{brand}] Inbox: {count} message(s) to handle",
        },
        "inbox.batch.title": {"fr": "Vos messages à traiter", "en": "Your messages to handle"},
        "inbox.batch.intro": {
            "fr": "Mentions, commentaires et emails arrivés depuis le dernier envoi :",
            "en": "Mentions, comments and emails received since the last email:",
        },
        "crisis.subject": {
            "fr": "[{brand}] ALERTE : pic de messages négatifs ({count} en une heure)",
            "en": "[{brand}] ALERT: surge of negative messages ({count} in an hour)",
        },
        "crisis.title": {"fr": "Pic de messages négatifs", "en": "Surge of negative messages"},
        "crisis.intro": {
            "fr": "{count} messages négatifs cette heure-ci, contre {mean} en moyenne (seuil {threshold}). Pour geler les publications programmées : « portevoix freeze on » ; pour reprendre : « portevoix freeze off ». Les messages :",
            "en": "{count} negative messages this hour, against {mean} on average (threshold {threshold}). To freeze scheduled posts: `portevoix freeze on`; to resume: `portevoix freeze off`. The messages:",
        },
        "freeze.title": {"fr": "Publications programmées", "en": "Scheduled posts"},
        "freeze.on": {
            "fr": "Les publications sont gelées : rien ne part tant que le gel n'est pas levé.",
            "en": "Publishing is frozen: nothing goes out until the freeze is lifted.",
        },
        "freeze.off": {
            "fr": "Les publications partent à leur heure.",
            "en": "Posts go out at their time.",
        },
        "freeze.freeze": {"fr": "Geler les publications", "en": "Freeze publishing"},
        "freeze.lift": {"fr": "Lever le gel", "en": "Lift the freeze"},
        "crisis.button": {
            "fr": "Geler ou reprendre les publications",
            "en": "Freeze or resume publishing",
        },
        "action.title": {"fr": "Répondre à un message", "en": "Answer a message"},
        "action.reply": {"fr": "Votre réponse (modifiable)", "en": "Your reply (edit as you like)"},
        "action.send": {"fr": "Envoyer", "en": "Send"},
        "action.handled": {"fr": "Traité", "en": "Handled"},
        "action.ignore": {"fr": "Ignorer", "en": "Ignore"},
        "action.hide": {"fr": "Masquer", "en": "Hide"},
        "action.sent": {"fr": "Réponse envoyée.", "en": "Reply sent."},
        "action.done": {"fr": "C'est noté.", "en": "Done."},
        "action.hidden": {"fr": "Archivé puis masqué.", "en": "Archived, then hidden."},
        "action.already": {
            "fr": "Déjà traité ({status}) le {when}.",
            "en": "Already handled ({status}) on {when}.",
        },
        "action.status.replied": {"fr": "répondu", "en": "replied"},
        "action.status.ignored": {"fr": "ignoré", "en": "ignored"},
        "action.status.hidden": {"fr": "masqué", "en": "hidden"},
        "action.status.needs_action": {
            "fr": "à masquer sur le réseau",
            "en": "to hide on the network",
        },
        "inbox.open": {"fr": "Répondre", "en": "Answer"},
        "inbox.suggested": {"fr": "Réponse proposée", "en": "Suggested reply"},
        "inbox.intent.crisis": {"fr": "Crise possible", "en": "Possible crisis"},
        "inbox.intent.complaint": {"fr": "Réclamation", "en": "Complaint"},
        "inbox.intent.question": {"fr": "Question", "en": "Question"},
        "inbox.intent.praise": {"fr": "Compliment", "en": "Praise"},
        "inbox.intent.insult": {"fr": "Insulte", "en": "Insult"},
        "inbox.intent.spam": {"fr": "Spam", "en": "Spam"},
        "inbox.intent.other": {"fr": "Autre", "en": "Other"},
    }
)

MESSAGES.update(
    {
        "report.subject": {
            "fr": "[{brand}] Rapport de la semaine {week} : {mentions} mention(s), {posts} publication(s)",
            "en": "[{brand}] Weekly report {week}: {mentions} mention(s), {posts} post(s)",
        },
        "report.title": {"fr": "Votre rapport de la semaine", "en": "Your weekly report"},
        "report.intro": {
            "fr": "Semaine {week}, du {start} au {end} ({tz}), comparée à la semaine précédente.",
            "en": "Week {week}, {start} to {end} ({tz}), compared with the week before.",
        },
        "report.changed": {
            "fr": "Ce qui a le plus changé : {what}, {now} contre {before} la semaine précédente{change}.",
            "en": "What changed the most: {what}, {now} against {before} the week before{change}.",
        },
        "report.steady": {
            "fr": "Rien n'a beaucoup changé par rapport à la semaine précédente.",
            "en": "Nothing changed much from the week before.",
        },
        "report.first": {
            "fr": "Premier rapport : pas encore de semaine précédente à comparer.",
            "en": "First report: no previous week to compare with yet.",
        },
        "report.empty": {
            "fr": "Rien à signaler cette semaine : aucune mention, aucun article suivi, aucune publication.",
            "en": "Nothing to report this week: no mention, no monitored item, no post.",
        },
        "report.kpi.mentions": {"fr": "les mentions", "en": "mentions"},
        "report.kpi.negative": {"fr": "les mentions négatives", "en": "negative mentions"},
        "report.kpi.share_of_voice": {"fr": "la part de voix", "en": "share of voice"},
        "report.kpi.response_median": {
            "fr": "le temps de réponse médian",
            "en": "the median response time",
        },
        "report.kpi.published": {"fr": "les publications", "en": "posts published"},
        "report.kpi.engagement": {"fr": "l'engagement", "en": "engagement"},
        "report.kpi.items": {"fr": "les articles suivis", "en": "monitored items"},
        "report.card.mentions": {"fr": "Mentions", "en": "Mentions"},
        "report.card.share_of_voice": {"fr": "Part de voix", "en": "Share of voice"},
        "report.card.negative": {"fr": "Négatives", "en": "Negative"},
        "report.card.response_median": {"fr": "Réponse médiane", "en": "Median response"},
        "report.card.published": {"fr": "Publications", "en": "Posts"},
        "report.card.engagement": {"fr": "Engagement", "en": "Engagement"},
        "report.card.items": {"fr": "Articles suivis", "en": "Monitored items"},
        "report.vs": {"fr": "sem. préc. : {value}", "en": "last week: {value}"},
        "report.volume": {"fr": "Mentions par jour", "en": "Mentions per day"},
        "report.sources": {"fr": "Où l'on parle de vous", "en": "Where people talk about you"},
        "report.voice": {"fr": "Part de voix", "en": "Share of voice"},
        "report.voice_hint": {
            "fr": "Mentions publiques de la marque et de chaque concurrent (articles suivis et réseaux).",
            "en": "Public mentions of the brand and of each competitor (monitored items and networks).",
        },
        "report.no_competitors": {
            "fr": "Aucun concurrent dans la configuration (competitors).",
            "en": "No competitor in the configuration (competitors).",
        },
        "report.sentiment": {"fr": "Sentiment par jour", "en": "Sentiment per day"},
        "report.positive": {"fr": "positif", "en": "positive"},
        "report.neutral": {"fr": "neutre", "en": "neutral"},
        "report.negative": {"fr": "négatif", "en": "negative"},
        "report.net": {
            "fr": "Solde positif − négatif : {value}",
            "en": "Net positive − negative: {value}",
        },
        "report.intents": {"fr": "Nature des messages", "en": "What the messages were"},
        "report.filtered": {
            "fr": "{count} message(s) écarté(s) : spam ou vos propres publications.",
            "en": "{count} message(s) left out: spam or your own posts.",
        },
        "report.response": {"fr": "Temps de réponse", "en": "Response times"},
        "report.response_row": {
            "fr": "{count} réponse(s), médiane {median}, 90 % en moins de {p90}",
            "en": "{count} reply(ies), median {median}, 90% within {p90}",
        },
        "report.all_networks": {"fr": "Tous réseaux", "en": "All networks"},
        "report.waiting": {
            "fr": "{count} message(s) de la semaine attendent encore une réponse.",
            "en": "{count} message(s) of the week still await an answer.",
        },
        "report.no_replies": {
            "fr": "Aucune réponse envoyée cette semaine.",
            "en": "No reply was sent this week.",
        },
        "report.publishing": {"fr": "Publications et cadence", "en": "Posts and cadence"},
        "report.target": {"fr": "objectif {target}", "en": "target {target}"},
        "report.no_target": {"fr": "pas d'objectif", "en": "no target"},
        "report.on_target": {"fr": "objectif atteint", "en": "on target"},
        "report.under_target": {"fr": "en dessous", "en": "below target"},
        "report.over_target": {"fr": "au-dessus", "en": "above target"},
        "report.engagement": {"fr": "Engagement des publications", "en": "Engagement of the posts"},
        "report.likes": {"fr": "J'aime", "en": "Likes"},
        "report.shares": {"fr": "Partages", "en": "Shares"},
        "report.replies": {"fr": "Réponses", "en": "Replies"},
        "report.views": {"fr": "Vues", "en": "Views"},
        "report.post": {"fr": "Publication", "en": "Post"},
        "report.best": {"fr": "la meilleure", "en": "best"},
        "report.worst": {"fr": "la moins suivie", "en": "weakest"},
        "report.no_metrics": {
            "fr": "ce réseau ne donne pas de statistiques",
            "en": "this network gives no metrics",
        },
        "report.not_read": {"fr": "pas encore lues", "en": "not read yet"},
        "report.no_posts": {"fr": "Aucune publication cette semaine.", "en": "No post this week."},
        "report.crises": {"fr": "Alertes de crise", "en": "Crisis alerts"},
        "report.crisis_row": {
            "fr": "{when} : {count} messages négatifs en une heure (seuil {threshold})",
            "en": "{when}: {count} negative messages in an hour (threshold {threshold})",
        },
        "report.no_crisis": {"fr": "Aucune alerte cette semaine.", "en": "No alert this week."},
        "report.topics": {"fr": "Thèmes de la veille", "en": "Monitoring topics"},
        "report.csv": {
            "fr": "Toutes les données du rapport sont jointes en CSV ({file}).",
            "en": "All the report's data is attached as CSV ({file}).",
        },
        "report.footer": {
            "fr": "Envoyé par Porte-voix chaque lundi. Un rapport à la demande : « portevoix report --week {week} ».",
            "en": "Sent by Porte-voix every Monday. A report on demand: `portevoix report --week {week}`.",
        },
    }
)

MESSAGES.update(
    {
        "studio.signin": {"fr": "Connexion", "en": "Sign in"},
        "studio.signin_intro": {
            "fr": "Saisissez votre adresse : nous vous envoyons un lien de connexion, valable 15 minutes.",
            "en": "Type your address: we email you a sign-in link, valid for 15 minutes.",
        },
        "studio.email": {"fr": "Adresse e-mail", "en": "Email address"},
        "studio.send_link": {"fr": "Recevoir le lien", "en": "Email me a link"},
        "studio.sent": {
            "fr": "Si cette adresse appartient à l'équipe, un lien de connexion vient de partir. Il est valable 15 minutes et ne sert qu'une fois.",
            "en": "If this address belongs to the team, a sign-in link is on its way. It is valid for 15 minutes and works once.",
        },
        "studio.limited": {
            "fr": "Trop de demandes de connexion. Réessayez dans un quart d'heure.",
            "en": "Too many sign-in requests. Try again in a quarter of an hour.",
        },
        "studio.continue_as": {
            "fr": "Se connecter en tant que {email}",
            "en": "Sign in as {email}",
        },
        "studio.continue": {"fr": "Continuer", "en": "Continue"},
        "studio.link_used": {
            "fr": "Ce lien a déjà servi. Demandez-en un nouveau.",
            "en": "This link was already used. Ask for a new one.",
        },
        "studio.link_expired": {
            "fr": "Ce lien a expiré (15 minutes). Demandez-en un nouveau.",
            "en": "This link has expired (15 minutes). Ask for a new one.",
        },
        "studio.link_invalid": {
            "fr": "Ce lien n'est pas valide. Demandez-en un nouveau.",
            "en": "This link is not valid. Ask for a new one.",
        },
        "studio.forged": {
            "fr": "Ce formulaire a expiré ou ne vient pas d'ici. Rechargez la page et recommencez.",
            "en": "This form has expired or does not come from here. Reload the page and try again.",
        },
        "studio.not_found": {"fr": "Page introuvable.", "en": "Page not found."},
        "studio.signout": {"fr": "Se déconnecter", "en": "Sign out"},
        "studio.signed_out": {"fr": "Vous êtes déconnecté·e.", "en": "You are signed out."},
        "signin.subject": {
            "fr": "[{brand}] Votre lien de connexion",
            "en": "[{brand}] Your sign-in link",
        },
        "signin.title": {"fr": "Connexion au studio", "en": "Signing in to the studio"},
        "signin.intro": {
            "fr": "Voici votre lien pour ouvrir le studio de {brand}. Il est valable 15 minutes et ne sert qu'une fois. Vous n'avez rien demandé ? Ignorez ce message : personne ne peut se connecter sans ce lien.",
            "en": "Here is your link to open {brand}'s studio. It is valid for 15 minutes and works once. Did not ask for it? Ignore this email: nobody can sign in without this link.",
        },
        "signin.button": {"fr": "Se connecter", "en": "Sign in"},
        "studio.calendar": {"fr": "Calendrier", "en": "Calendar"},
        "studio.compose": {"fr": "Nouvelle publication", "en": "New post"},
        "studio.week": {"fr": "Semaine", "en": "Week"},
        "studio.week_of": {"fr": "semaine du {day}", "en": "week of {day}"},
        "status.not_sent": {
            "fr": "non envoyée (réseau injoignable)",
            "en": "not sent (network unreachable)",
        },
        "status.unknown": {
            "fr": "incertaine (réponse perdue, vérifiée avant tout nouvel envoi)",
            "en": "uncertain (answer lost, checked before any resend)",
        },
        "studio.asap": {
            "fr": "Publier dès la validation (sans attendre ce jour et cette heure)",
            "en": "Publish as soon as approved (not waiting for this day and time)",
        },
        "studio.images": {"fr": "Images", "en": "Images"},
        "studio.images_hint": {
            "fr": "JPEG, PNG, WebP ou GIF, 8 Mo au plus chacune ; la même pour chaque compte.",
            "en": "JPEG, PNG, WebP or GIF, 8 MB at most each; the same for every account.",
        },
        "studio.alt": {
            "fr": "Texte alternatif (ce que l'image montre, pour qui ne la voit pas)",
            "en": "Alt text (what the image shows, for people who cannot see it)",
        },
        "studio.remove": {"fr": "Retirer", "en": "Remove"},
        "digest.write_post": {"fr": "Écrire une publication", "en": "Write a post"},
        "studio.month": {"fr": "Mois", "en": "Month"},
        "studio.previous": {"fr": "Précédent", "en": "Previous"},
        "studio.next": {"fr": "Suivant", "en": "Next"},
        "studio.today": {"fr": "Aujourd'hui", "en": "Today"},
        "studio.all_accounts": {"fr": "Tous les comptes", "en": "All accounts"},
        "studio.account": {"fr": "Compte", "en": "Account"},
        "studio.show": {"fr": "Afficher", "en": "Show"},
        "studio.targets": {
            "fr": "Objectifs de la semaine du {day}",
            "en": "Targets for the week of {day}",
        },
        "studio.planned": {
            "fr": "{planned} prévue(s) sur {target}",
            "en": "{planned} planned of {target}",
        },
        "studio.planned_only": {"fr": "{planned} prévue(s)", "en": "{planned} planned"},
        "studio.empty_day": {
            "fr": "Rien de prévu : écrire une publication pour le {day}",
            "en": "Nothing planned: write a post for {day}",
        },
        "studio.write_for": {"fr": "Écrire pour le {day}", "en": "Write for {day}"},
        "studio.title": {"fr": "Titre (pour l'équipe)", "en": "Title (for the team)"},
        "studio.day": {"fr": "Jour", "en": "Day"},
        "studio.time": {"fr": "Heure ({tz})", "en": "Time ({tz})"},
        "studio.text": {"fr": "Texte commun", "en": "Common text"},
        "studio.link": {"fr": "Lien (facultatif)", "en": "Link (optional)"},
        "studio.accounts": {"fr": "Comptes", "en": "Accounts"},
        "studio.own_text": {
            "fr": "Texte adapté pour {account} (vide : le texte commun)",
            "en": "Text adapted for {account} (empty: the common text)",
        },
        "studio.preview": {"fr": "Aperçu", "en": "Preview"},
        "studio.count": {
            "fr": "{count} / {max} caractères ({network})",
            "en": "{count} / {max} characters ({network})",
        },
        "studio.charter_ok": {"fr": "Conforme à la charte.", "en": "Meets the charter."},
        "studio.send": {"fr": "Envoyer en validation", "en": "Send for approval"},
        "studio.fix_first": {
            "fr": "La publication n'est pas partie : corrigez d'abord ce qui suit.",
            "en": "The post was not sent: fix what follows first.",
        },
        "studio.need_account": {
            "fr": "Choisissez au moins un compte.",
            "en": "Choose at least one account.",
        },
        "studio.need_date": {
            "fr": "Indiquez un jour et une heure valides.",
            "en": "Give a valid day and time.",
        },
        "studio.past_date": {
            "fr": "Ce moment est déjà passé : choisissez une date à venir.",
            "en": "That moment has passed: choose a time ahead.",
        },
        "studio.bad_link": {
            "fr": "Le lien doit commencer par https:// ou http://.",
            "en": "The link must start with https:// or http://.",
        },
        "studio.need_text": {
            "fr": "Le texte pour {account} est vide.",
            "en": "The text for {account} is empty.",
        },
        "studio.post": {"fr": "Publication {post_id}", "en": "Post {post_id}"},
        "studio.status": {"fr": "Statut", "en": "Status"},
        "studio.scheduled": {"fr": "Prévue le {when}", "en": "Planned for {when}"},
        "studio.author": {"fr": "Écrite par {author}", "en": "Written by {author}"},
        "studio.decided": {"fr": "Décision de {by} le {when}", "en": "Decided by {by} on {when}"},
        "studio.comment": {"fr": "Commentaire : {comment}", "en": "Comment: {comment}"},
        "studio.cancel": {"fr": "Annuler la publication", "en": "Cancel the post"},
        "studio.cancelled": {
            "fr": "Publication annulée : ce qui était déjà publié le reste.",
            "en": "Post cancelled: whatever was already published stays.",
        },
        "studio.duplicate": {"fr": "Dupliquer", "en": "Duplicate"},
        "studio.reschedule": {"fr": "Reprogrammer", "en": "Reschedule"},
        "studio.rescheduled": {
            "fr": "Reprogrammée : elle repasse par la charte et la validation.",
            "en": "Rescheduled: it goes through the charter and approval again.",
        },
        "studio.engagement": {
            "fr": "{likes} j'aime, {shares} partages, {replies} réponses",
            "en": "{likes} likes, {shares} shares, {replies} replies",
        },
        "studio.network_status": {"fr": "{account} : {status}", "en": "{account}: {status}"},
        "studio.open": {"fr": "Voir la publication", "en": "See the post"},
        "studio.ics": {
            "fr": "Abonnement agenda (Google Agenda, Outlook)",
            "en": "Calendar subscription (Google Calendar, Outlook)",
        },
        "studio.ics_renew": {"fr": "Changer l'adresse secrète", "en": "Change the secret address"},
        "studio.ics_hint": {
            "fr": "Cette adresse est secrète : qui la connaît voit le calendrier. Changez-la si elle a circulé.",
            "en": "This address is secret: whoever has it sees the calendar. Change it if it has been shared.",
        },
        "studio.menu": {"fr": "Menu principal", "en": "Main menu"},
        "status.checking": {"fr": "vérification", "en": "checking"},
        "status.awaiting_approval": {"fr": "en attente de validation", "en": "awaiting approval"},
        "status.approved": {"fr": "validée", "en": "approved"},
        "status.rejecting": {"fr": "refus en cours", "en": "being rejected"},
        "status.rejected": {"fr": "refusée", "en": "rejected"},
        "status.blocked": {"fr": "bloquée par la charte", "en": "blocked by the charter"},
        "status.expired": {"fr": "validation expirée", "en": "approval expired"},
        "status.publishing": {"fr": "publication en cours", "en": "publishing"},
        "status.published": {"fr": "publiée", "en": "published"},
        "status.partially_published": {"fr": "publiée en partie", "en": "partly published"},
        "status.failed": {"fr": "échec", "en": "failed"},
        "status.cancelled": {"fr": "annulée", "en": "cancelled"},
        "status.frozen": {"fr": "gelée", "en": "frozen"},
        "status.pending": {"fr": "à venir", "en": "pending"},
        "status.claimed": {"fr": "en cours", "en": "in progress"},
    }
)

_WEEKDAYS = {
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}

_MONTHS = {
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}

# The studio's Accounts pages (connecting networks).
MESSAGES.update(
    {
        "studio.accounts": {"fr": "Comptes", "en": "Accounts"},
        "studio.back": {"fr": "Retour", "en": "Back"},
        "connect.configured": {"fr": "Comptes configurés", "en": "Configured accounts"},
        "connect.none": {"fr": "Aucun compte pour l'instant.", "en": "No account yet."},
        "connect.disabled": {"fr": "désactivé", "en": "disabled"},
        "connect.reconnect": {"fr": "Reconnecter", "en": "Reconnect"},
        "connect.add": {"fr": "Connecter un compte", "en": "Connect an account"},
        "connect.connect": {"fr": "Connecter {network}", "en": "Connect {network}"},
        "connect.reconnecting": {
            "fr": "Vous reconnectez le compte « {account} » : son jeton sera remplacé.",
            "en": "You are reconnecting the account “{account}”: its token will be replaced.",
        },
        "connect.instance": {"fr": "Adresse de l'instance", "en": "Instance address"},
        "connect.instance_hint": {
            "fr": "Par exemple mastodon.social. Vous y autoriserez Porte-voix à lire et publier (droits read et write).",
            "en": "For example mastodon.social. You will allow Porte-voix to read and post there (read and write scopes).",
        },
        "connect.handle": {"fr": "Identifiant Bluesky", "en": "Bluesky handle"},
        "connect.app_password": {"fr": "Mot de passe d'application", "en": "App password"},
        "connect.app_password_hint": {
            "fr": "Créez-le dans Bluesky : Réglages > Confidentialité et sécurité > Mots de passe d'application. Jamais le mot de passe du compte.",
            "en": "Create it in Bluesky: Settings > Privacy and security > App passwords. Never the account's own password.",
        },
        "connect.service": {"fr": "Serveur", "en": "Server"},
        "connect.bluesky_go": {"fr": "Vérifier et connecter", "en": "Check and connect"},
        "connect.oauth_intro": {
            "fr": "Vous allez vous connecter à {network} et autoriser l'application de la marque. Porte-voix garde le jeton dans AWS (SSM, chiffré), jamais dans la configuration.",
            "en": "You will sign in to {network} and allow the brand's app. Porte-voix keeps the token in AWS (SSM, encrypted), never in the configuration.",
        },
        "connect.app_needed": {
            "fr": "Pour connecter {network}, la marque a besoin de sa propre application de développeur, une fois :",
            "en": "To connect {network}, the brand needs its own developer app, once:",
        },
        "connect.app_step1": {
            "fr": "Créez l'application sur le portail développeur de {network}, avec cette adresse de retour (redirect URI) :",
            "en": "Create the app in {network}'s developer portal, with this redirect URI:",
        },
        "connect.app_step2": {
            "fr": "Enregistrez son identifiant et son secret dans le paramètre SSM SecureString",
            "en": "Store its client id and secret in the SSM SecureString parameter",
        },
        "connect.app_step3": {
            "fr": "Revenez sur cette page : le bouton « Continuer » apparaîtra.",
            "en": "Come back to this page: the “Continue” button will be there.",
        },
        "connect.continue_intro": {
            "fr": "Vous allez quitter le studio pour {host}, où vous autoriserez Porte-voix. Vous reviendrez ensuite ici.",
            "en": "You are leaving the studio for {host}, where you will allow Porte-voix. You will then come back here.",
        },
        "connect.continue_to": {"fr": "Continuer vers {host}", "en": "Continue to {host}"},
        "connect.continue_hint": {
            "fr": "Ce lien est valable 15 minutes et ne sert qu'une fois.",
            "en": "This link is valid for 15 minutes and works once.",
        },
        "connect.choose": {
            "fr": "Quel compte Porte-voix doit-il utiliser ?",
            "en": "Which account should Porte-voix use?",
        },
        "connect.done": {
            "fr": "{network} est connecté : {who}, sous le nom « {account} ». Le jeton est dans SSM (chiffré) et le compte dans la configuration.",
            "en": "{network} is connected: {who}, as “{account}”. The token is in SSM (encrypted) and the account in the configuration.",
        },
    }
)

# The studio's Settings page.
MESSAGES.update(
    {
        "studio.settings": {"fr": "Réglages", "en": "Settings"},
        "settings.title": {"fr": "Réglages", "en": "Settings"},
        "settings.intro": {
            "fr": "La configuration de la marque (version {version}). Chaque modification est vérifiée, montrée avant d'être enregistrée, et les versions précédentes restent restaurables. Les fonctions la relisent en 5 minutes au plus.",
            "en": "The brand's configuration (version {version}). Every change is checked, shown before it is saved, and earlier versions can be restored. The functions read it again within 5 minutes.",
        },
        "settings.problems": {"fr": "À corriger", "en": "To fix"},
        "settings.feeds": {"fr": "Flux et sites suivis", "en": "Feeds and sites"},
        "settings.remove": {"fr": "Retirer", "en": "Remove"},
        "settings.add_feed": {"fr": "Ajouter un flux", "en": "Add a feed"},
        "settings.feed_url": {"fr": "Adresse du flux ou du site", "en": "Feed or site address"},
        "settings.feed_url_hint": {
            "fr": "Un flux RSS, Atom ou JSON Feed, ou la page d'un site : Porte-voix le lit tout de suite et suit le flux que la page annonce.",
            "en": "An RSS, Atom or JSON Feed, or a site's page: Porte-voix reads it at once and follows the feed the page advertises.",
        },
        "settings.feed_name": {"fr": "Nom (facultatif)", "en": "Name (optional)"},
        "settings.feed_topics": {
            "fr": "Thèmes (séparés par des virgules)",
            "en": "Topics (comma-separated)",
        },
        "settings.test_add": {"fr": "Tester et ajouter", "en": "Test and add"},
        "settings.topics": {"fr": "Thèmes et mots-clés", "en": "Topics and keywords"},
        "settings.topics_label": {
            "fr": "Un thème par ligne : « thème : mot-clé, mot-clé »",
            "en": "One topic a line: “topic: keyword, keyword”",
        },
        "settings.competitors": {"fr": "Concurrents", "en": "Competitors"},
        "settings.competitors_label": {
            "fr": "Un concurrent par ligne : « Nom : alias, alias »",
            "en": "One competitor a line: “Name: alias, alias”",
        },
        "settings.team": {"fr": "Équipe", "en": "Team"},
        "settings.team_label": {
            "fr": "Membres (YAML : email, name, language, digest, report)",
            "en": "Members (YAML: email, name, language, digest, report)",
        },
        "settings.approvers": {"fr": "Validation", "en": "Approvers"},
        "settings.approvers_label": {
            "fr": "Qui valide les publications (YAML, une adresse par ligne « - »)",
            "en": "Who approves posts (YAML, one “- address” a line)",
        },
        "settings.charter": {"fr": "Charte éditoriale", "en": "Editorial charter"},
        "settings.charter_label": {
            "fr": "La charte (YAML : default, networks)",
            "en": "The charter (YAML: default, networks)",
        },
        "settings.templates": {"fr": "Modèles de réponse", "en": "Reply templates"},
        "settings.templates_label": {
            "fr": "Les modèles (YAML : nom, intents, fr, en)",
            "en": "The templates (YAML: name, intents, fr, en)",
        },
        "settings.yaml": {
            "fr": "Toute la configuration (YAML)",
            "en": "The whole configuration (YAML)",
        },
        "settings.yaml_label": {
            "fr": "YAML (vos commentaires sont gardés ici)",
            "en": "YAML (your comments are kept here)",
        },
        "settings.review": {"fr": "Vérifier les changements", "en": "Review the changes"},
        "settings.history": {"fr": "Versions", "en": "Versions"},
        "settings.version": {"fr": "Version {version}", "en": "Version {version}"},
        "settings.restore": {"fr": "Restaurer", "en": "Restore"},
        "settings.current": {"fr": "actuelle", "en": "current"},
        "settings.review_title": {
            "fr": "Vérifier avant d'enregistrer",
            "en": "Review before saving",
        },
        "settings.diff": {
            "fr": "Lignes retirées (-) et ajoutées (+)",
            "en": "Lines removed (-) and added (+)",
        },
        "settings.unchanged": {"fr": "Rien ne change.", "en": "Nothing changes."},
        "settings.save": {"fr": "Enregistrer", "en": "Save"},
        "settings.cancel": {"fr": "Annuler", "en": "Cancel"},
        "settings.saved": {
            "fr": "Enregistré : version {version}.",
            "en": "Saved: version {version}.",
        },
    }
)


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (French when the language is unknown)."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["fr"]
    return text.format(**values) if values else text


def format_date(dt: datetime, lang: str, *, with_time: bool = True) -> str:
    """A date as a person of that language writes it (the zone is the caller's)."""
    month = _MONTHS.get(lang, _MONTHS["fr"])[dt.month - 1]
    if lang == "en":
        day = f"{dt.day} {month} {dt.year}"
        return f"{day}, {dt:%H:%M}" if with_time else day
    day = f"{dt.day} {month} {dt.year}"
    return f"{day} à {dt:%H:%M}" if with_time else day


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """``1 234,5`` in French (narrow no-break spaces), ``1,234.5`` in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


def format_percent(value: float, lang: str, decimals: int = 0) -> str:
    number = format_number(value, lang, decimals)
    return f"{number}%" if lang == "en" else f"{number}\u00a0%"


def format_duration(seconds: float | None, lang: str) -> str:
    """A response time as people say it: ``45 min``, ``2 h 05``, ``3 j 4 h`` / ``3 d 4 h``."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days} {'j' if lang == 'fr' else 'd'} {hours} h"


def weekday(day: Any, lang: str) -> str:
    """``lun. 23`` / ``Mon 23``."""
    return f"{_WEEKDAYS.get(lang, _WEEKDAYS['fr'])[day.weekday()]} {day.day}"


def status_text(lang: str, status: str) -> str:
    """A post's or a publication's status as people say it (the raw name if unknown)."""
    key = f"status.{status}"
    return t(lang, key) if key in MESSAGES else status


_MONTH_NAMES = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def month_year(day: Any, lang: str) -> str:
    """``décembre 2026`` / ``December 2026``."""
    return f"{_MONTH_NAMES.get(lang, _MONTH_NAMES['fr'])[day.month - 1]} {day.year}"

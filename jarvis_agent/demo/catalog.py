"""French reference data of the demo gyms: names, clubs, coaches, timetable, equipment, exercises, FAQ, events.

Everything here is fictional. Phone numbers use the ARCEP range reserved for fiction (06 39 98 xx xx) and e-mail
addresses the reserved domain example.com, so a demo database can never message a real person.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES_F = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie", "Pauline", "Lucie",
    "Clara", "Anaïs", "Océane", "Mathilde", "Charlotte", "Juliette", "Élodie", "Justine", "Margaux", "Lisa",
    "Audrey", "Émilie", "Nadia", "Fatima", "Yasmine", "Sophie", "Céline", "Nathalie", "Isabelle", "Sandrine",
    "Aurélie", "Claire", "Alice", "Zoé", "Louise", "Jade", "Amandine", "Morgane", "Salomé", "Agathe", "Hélène",
    "Valérie", "Christine", "Maëlle", "Léna", "Nour", "Aïcha", "Mélanie",
]
FIRST_NAMES_M = [
    "Thomas", "Nicolas", "Julien", "Maxime", "Alexandre", "Antoine", "Kevin", "Romain", "Hugo", "Lucas",
    "Mathieu", "Quentin", "Florian", "Guillaume", "Pierre", "Adrien", "Benjamin", "Clément", "Jérémy", "Louis",
    "Arthur", "Théo", "Paul", "Baptiste", "Vincent", "Sébastien", "Olivier", "Laurent", "Karim", "Mehdi",
    "Yanis", "Rayan", "Sofiane", "Mohamed", "David", "Stéphane", "François", "Éric", "Christophe", "Damien",
    "Loïc", "Gaëtan", "Jérôme", "Cédric", "Axel", "Nathan", "Enzo", "Léo", "Samuel", "Bastien",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
    "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez",
    "Benali", "Haddad", "Diallo", "Traoré", "Da Silva", "Ferreira", "Benoît", "Caron", "Giraud", "Hubert",
]


@dataclass(frozen=True)
class GymSpec:
    slug: str
    code: str  # badge prefix
    name: str
    address: str
    postal_code: str
    city: str
    latitude: float
    longitude: float
    phone: str
    share: float  # share of the demo members
    max_occupancy: int


GYMS = [
    GymSpec("paris-bastille", "PB", "Énergie Fitness Paris Bastille", "12 rue de la Roquette", "75011", "Paris",
            48.8553, 2.3720, "01 99 00 11 11", 0.45, 220),
    GymSpec("lyon-part-dieu", "LP", "Énergie Fitness Lyon Part-Dieu", "45 boulevard Vivier-Merle", "69003", "Lyon",
            45.7605, 4.8590, "04 65 71 22 22", 0.35, 180),
    GymSpec("marseille-vieux-port", "MV", "Énergie Fitness Marseille Vieux-Port", "8 quai du Port", "13002",
            "Marseille", 43.2960, 5.3700, "04 65 71 33 33", 0.20, 150),
]

# ISO weekday -> [open, close]
OPENING_HOURS = {"1": ["06:00", "23:00"], "2": ["06:00", "23:00"], "3": ["06:00", "23:00"],
                 "4": ["06:00", "23:00"], "5": ["06:00", "23:00"], "6": ["08:00", "20:00"],
                 "7": ["09:00", "19:00"]}
AMENITIES = ["vestiaires avec douches", "casiers à cadenas", "sauna", "espace cardio", "plateau musculation",
             "zone cross-training", "deux salles de cours", "fontaines à eau", "wifi gratuit", "parking vélos"]

COACH_SPECIALTIES = [
    ["musculation", "prise de masse"], ["cross-training", "HIIT"], ["yoga", "mobilité"], ["pilates", "gainage"],
    ["cardio", "perte de poids"], ["boxe", "préparation physique"], ["nutrition", "remise en forme"],
    ["stretching", "seniors"], ["musculation", "force"], ["course à pied", "endurance"],
]
COACH_BIOS = [
    "Ancien athlète, il aime faire progresser en douceur.",
    "Diplômée d'un BPJEPS, elle adore les séances intenses en petit groupe.",
    "Passionné de mobilité, il aide à bouger mieux avant de bouger plus.",
    "Elle accompagne les débutants pas à pas, avec patience.",
    "Coach depuis dix ans, il prépare aussi des sportifs amateurs.",
]
# (weekday, start, end) blocks of a coach's week, picked per coach.
COACH_WEEKS = [
    [(1, "07:00", "13:00"), (3, "07:00", "13:00"), (5, "07:00", "13:00"), (6, "09:00", "13:00")],
    [(1, "14:00", "21:00"), (2, "14:00", "21:00"), (4, "14:00", "21:00"), (5, "14:00", "20:00")],
    [(2, "08:00", "12:00"), (2, "16:00", "20:00"), (4, "08:00", "12:00"), (4, "16:00", "20:00"),
     (7, "09:00", "13:00")],
    [(1, "10:00", "18:00"), (3, "10:00", "18:00"), (6, "10:00", "18:00")],
    [(2, "06:00", "12:00"), (3, "15:00", "21:00"), (5, "15:00", "21:00"), (6, "08:00", "12:00")],
]

# (name, category, level, weekday, start, minutes, capacity, room, description)
TIMETABLE = [
    ("Yoga Vinyasa", "yoga", "tous", 1, "12:15", 45, 20, "Studio Zen", "Enchaînements fluides et respiration."),
    ("Body Pump", "renforcement", "tous", 1, "18:30", 55, 25, "Studio 1", "Renforcement musculaire avec barre."),
    ("HIIT Express", "cardio", "intermediaire", 1, "19:30", 30, 16, "Zone cross", "Intervalles courts et intenses."),
    ("Pilates", "pilates", "tous", 2, "09:30", 50, 15, "Studio Zen", "Gainage profond et posture."),
    ("Biking", "cardio", "tous", 2, "12:30", 45, 20, "Studio vélo", "Vélo en musique, intensité au choix."),
    ("Boxe fitness", "boxe", "tous", 2, "19:00", 60, 18, "Studio 1", "Techniques de boxe sans contact."),
    ("Cross-training", "cross-training", "intermediaire", 3, "07:00", 45, 12, "Zone cross", "WOD du jour."),
    ("Abdos-fessiers", "renforcement", "tous", 3, "12:30", 30, 25, "Studio 1", "Ciblé sangle abdominale."),
    ("Zumba", "danse", "tous", 3, "18:30", 55, 30, "Studio 1", "Danse cardio sur rythmes latinos."),
    ("Yoga doux", "yoga", "debutant", 3, "20:00", 60, 20, "Studio Zen", "Postures accessibles et relaxation."),
    ("Body Pump", "renforcement", "tous", 4, "12:15", 45, 25, "Studio 1", "Renforcement musculaire avec barre."),
    ("Stretching", "mobilite", "tous", 4, "13:15", 30, 20, "Studio Zen", "Étirements et mobilité."),
    ("Biking", "cardio", "tous", 4, "18:45", 45, 20, "Studio vélo", "Vélo en musique, intensité au choix."),
    ("Cross-training", "cross-training", "avance", 4, "19:45", 60, 12, "Zone cross", "WOD avancé."),
    ("Pilates", "pilates", "tous", 5, "12:30", 45, 15, "Studio Zen", "Gainage profond et posture."),
    ("HIIT Express", "cardio", "intermediaire", 5, "18:00", 30, 16, "Zone cross", "Intervalles courts et intenses."),
    ("Zumba", "danse", "tous", 5, "19:00", 55, 30, "Studio 1", "Danse cardio sur rythmes latinos."),
    ("Body Pump", "renforcement", "tous", 6, "10:00", 55, 25, "Studio 1", "Renforcement musculaire avec barre."),
    ("Yoga Vinyasa", "yoga", "tous", 6, "11:15", 60, 20, "Studio Zen", "Enchaînements fluides et respiration."),
    ("Biking", "cardio", "tous", 6, "12:30", 45, 20, "Studio vélo", "Vélo en musique, intensité au choix."),
    ("Stretching", "mobilite", "tous", 7, "10:00", 45, 20, "Studio Zen", "Étirements et mobilité."),
    ("Boxe fitness", "boxe", "tous", 7, "11:00", 60, 18, "Studio 1", "Techniques de boxe sans contact."),
]

# (name, category, zone, count)
EQUIPMENT = [
    ("Tapis de course", "tapis_course", "Espace cardio", 8), ("Vélo elliptique", "elliptique", "Espace cardio", 5),
    ("Rameur", "rameur", "Espace cardio", 4), ("Vélo assis", "velo", "Espace cardio", 6),
    ("Stepper", "stepper", "Espace cardio", 2), ("Rack à squat", "rack_squat", "Plateau musculation", 3),
    ("Banc de développé couché", "banc_developpe", "Plateau musculation", 3),
    ("Plateforme de soulevé de terre", "plateforme", "Plateau musculation", 2),
    ("Presse à cuisses", "presse_cuisses", "Plateau musculation", 2),
    ("Poulie vis-à-vis", "poulie", "Plateau musculation", 2),
    ("Machine leg curl", "leg_curl", "Plateau musculation", 1),
    ("Tirage vertical", "tirage_vertical", "Plateau musculation", 2),
    ("Râtelier d'haltères", "halteres", "Plateau musculation", 2),
    ("Kettlebells", "kettlebell", "Zone cross", 1), ("Barre de traction", "barre_traction", "Zone cross", 2),
    ("Box de saut", "box", "Zone cross", 4), ("Corde ondulatoire", "corde", "Zone cross", 2),
]
EQUIPMENT_NOTES = {
    "maintenance": ["Révision en cours, retour prévu cette semaine.", "Courroie à changer, technicien prévu."],
    "out_of_order": ["Hors service, pièce commandée.", "Écran en panne, en attente de réparation."],
}

# (slug, name, muscle group, equipment category or None, level, goals, sets, reps)
EXERCISES = [
    ("squat", "Squat", "jambes", "rack_squat", "intermediaire", ["force", "prise_de_masse", "remise_en_forme"], 4,
     "8-10"),
    ("squat-poids-du-corps", "Squat au poids du corps", "jambes", None, "debutant",
     ["remise_en_forme", "perte_de_poids", "bien_etre"], 3, "15"),
    ("developpe-couche", "Développé couché", "pectoraux", "banc_developpe", "intermediaire",
     ["force", "prise_de_masse"], 4, "8-10"),
    ("souleve-de-terre", "Soulevé de terre", "dos et jambes", "plateforme", "avance", ["force", "prise_de_masse"], 4,
     "5-6"),
    ("gainage", "Gainage (planche)", "abdominaux", None, "debutant",
     ["remise_en_forme", "perte_de_poids", "bien_etre", "endurance"], 3, "30 secondes"),
    ("gainage-lateral", "Gainage latéral", "abdominaux", None, "debutant", ["remise_en_forme", "bien_etre"], 3,
     "20 secondes par côté"),
    ("fentes", "Fentes avant", "jambes", None, "debutant", ["remise_en_forme", "perte_de_poids", "endurance"], 3,
     "12 par jambe"),
    ("pompes", "Pompes", "pectoraux", None, "debutant", ["remise_en_forme", "force", "prise_de_masse"], 3, "10-15"),
    ("tractions", "Tractions", "dos", "barre_traction", "avance", ["force", "prise_de_masse"], 4, "6-8"),
    ("rowing-haltere", "Rowing haltère", "dos", "halteres", "debutant", ["prise_de_masse", "remise_en_forme"], 3,
     "10-12"),
    ("developpe-militaire", "Développé militaire", "épaules", "halteres", "intermediaire",
     ["force", "prise_de_masse"], 4, "8-10"),
    ("hip-thrust", "Hip thrust", "fessiers", "banc_developpe", "intermediaire",
     ["prise_de_masse", "remise_en_forme", "force"], 4, "10-12"),
    ("presse-cuisses", "Presse à cuisses", "jambes", "presse_cuisses", "debutant",
     ["prise_de_masse", "remise_en_forme"], 4, "10-12"),
    ("curl-biceps", "Curl biceps", "bras", "halteres", "debutant", ["prise_de_masse"], 3, "10-12"),
    ("extension-triceps", "Extension triceps à la poulie", "bras", "poulie", "debutant", ["prise_de_masse"], 3,
     "12"),
    ("tirage-vertical", "Tirage vertical", "dos", "tirage_vertical", "debutant",
     ["prise_de_masse", "remise_en_forme"], 3, "10-12"),
    ("leg-curl", "Leg curl", "ischio-jambiers", "leg_curl", "debutant", ["prise_de_masse", "remise_en_forme"], 3,
     "12"),
    ("rameur-fractionne", "Rameur en fractionné", "cardio", "rameur", "intermediaire",
     ["endurance", "perte_de_poids"], 6, "1 minute vite, 1 minute lente"),
    ("tapis-fractionne", "Course fractionnée sur tapis", "cardio", "tapis_course", "intermediaire",
     ["endurance", "perte_de_poids"], 8, "30 secondes vite, 1 minute lente"),
    ("velo-endurance", "Vélo en endurance", "cardio", "velo", "debutant", ["endurance", "perte_de_poids", "bien_etre"],
     1, "30 minutes"),
    ("elliptique", "Elliptique", "cardio", "elliptique", "debutant", ["perte_de_poids", "remise_en_forme"], 1,
     "25 minutes"),
    ("burpees", "Burpees", "corps entier", None, "intermediaire", ["perte_de_poids", "endurance"], 4, "10"),
    ("mountain-climbers", "Mountain climbers", "abdominaux", None, "debutant", ["perte_de_poids", "endurance"], 4,
     "30 secondes"),
    ("kettlebell-swing", "Kettlebell swing", "chaîne postérieure", "kettlebell", "intermediaire",
     ["perte_de_poids", "force", "endurance"], 4, "15"),
    ("box-jump", "Box jump", "jambes", "box", "intermediaire", ["endurance", "force"], 4, "8"),
    ("crunch", "Crunch", "abdominaux", None, "debutant", ["remise_en_forme", "perte_de_poids"], 3, "15-20"),
    ("dips", "Dips", "triceps", None, "intermediaire", ["force", "prise_de_masse"], 3, "8-12"),
    ("etirements-ischios", "Étirement des ischio-jambiers", "ischio-jambiers", None, "debutant",
     ["souplesse", "bien_etre"], 2, "30 secondes"),
    ("mobilite-hanches", "Mobilité des hanches", "hanches", None, "debutant", ["souplesse", "bien_etre"], 2,
     "10 par côté"),
    ("chat-vache", "Chat-vache", "dos", None, "debutant", ["souplesse", "bien_etre"], 2, "10"),
    ("corde-ondulatoire", "Corde ondulatoire", "corps entier", "corde", "intermediaire",
     ["perte_de_poids", "endurance"], 5, "30 secondes"),
]
NO_VIDEO = {"crunch", "dips"}  # exercises without a tutorial yet

# Achievement code -> (title, description)
ACHIEVEMENTS = {
    "first_visit": ("Première séance", "Bienvenue au club !"),
    "visits_10": ("10 séances", "Dix séances au compteur."),
    "visits_50": ("50 séances", "Cinquante séances, la régularité paie."),
    "visits_100": ("100 séances", "Cent séances : un pilier de la salle."),
    "early_bird": ("Lève-tôt", "Dix séances avant 8 heures."),
    "streak_4": ("Quatre semaines d'affilée", "Au moins une séance par semaine pendant un mois."),
    "classes_10": ("Fan des cours", "Dix cours collectifs suivis."),
}

# (title, kind, days from today, hour, duration hours, location, description, capacity)
EVENTS = [
    ("Challenge gainage 30 jours", "challenge", 3, "07:00", 24 * 30, "Toute la salle",
     "Une planche par jour, une minute de plus chaque semaine. Inscription à l'accueil.", None),
    ("Atelier nutrition : bien manger avant l'entraînement", "atelier", 6, "19:00", 1.5, "Studio Zen",
     "Conseils pratiques et questions-réponses avec notre coach nutrition.", 25),
    ("Stage mobilité et souplesse", "stage", 10, "10:00", 3, "Studio Zen",
     "Trois heures pour gagner en amplitude, tous niveaux.", 18),
    ("Soirée portes ouvertes", "soiree", 14, "18:00", 4, "Accueil",
     "Viens avec un ami : séance découverte offerte et buffet.", None),
    ("Compétition inter-salles de rameur", "competition", 21, "14:00", 4, "Espace cardio",
     "2 000 mètres chronométrés, par équipes de trois.", 60),
    ("Cours de boxe géant", "autre", 28, "11:00", 2, "Studio 1", "Un cours en musique avec tous les coachs.", 40),
]


def faq_entries(gym: GymSpec) -> list[tuple[str, str, str, str]]:
    """(question, answer, category, keywords) — at least 30 entries, adapted to the gym."""
    return [
        ("Quels sont les horaires d'ouverture ?",
         "La salle est ouverte du lundi au vendredi de 6 h à 23 h, le samedi de 8 h à 20 h et le dimanche de 9 h à "
         "19 h.", "horaires", "heures ouvert fermé fermeture ouverture"),
        ("La salle est-elle ouverte les jours fériés ?",
         "Oui, les jours fériés la salle ouvre aux horaires du dimanche, de 9 h à 19 h, sauf le 25 décembre et le "
         "1er janvier.", "horaires", "férié fériés noël jour de l'an 1er mai 14 juillet pâques"),
        ("Où se trouve la salle ?", f"Nous sommes au {gym.address}, {gym.postal_code} {gym.city}.", "acces",
         "adresse où venir localisation"),
        ("Y a-t-il un parking ?",
         "Il n'y a pas de parking privé, mais un parking public est à deux minutes à pied et un parking vélos "
         "couvert est devant l'entrée.", "acces", "voiture stationner garer stationnement vélo"),
        ("Comment réserver un cours collectif ?",
         "Tu peux réserver auprès de Jarvis sur la borne, sur l'application ou à l'accueil, jusqu'à sept jours à "
         "l'avance.", "cours", "inscription réservation cours collectif"),
        ("Comment annuler un cours réservé ?",
         "Annule au moins deux heures avant le début pour libérer ta place, sur la borne, l'application ou à "
         "l'accueil.", "cours", "annulation désinscription"),
        ("Que se passe-t-il si je ne viens pas à un cours réservé ?",
         "Après trois absences sans annulation dans le mois, la réservation des cours est suspendue une semaine.",
         "cours", "absence no show pénalité"),
        ("Combien coûte une séance avec un coach personnel ?",
         "La séance de coaching individuel d'une heure est à 45 euros, ou 200 euros le carnet de cinq séances. Le "
         "bilan forme de démarrage est offert.", "tarifs", "prix coaching personnel tarif coach"),
        ("Quels sont les tarifs des abonnements ?",
         "L'abonnement sans engagement est à 39 euros par mois, 34 euros avec six mois d'engagement et 29 euros "
         "avec douze mois. Les frais d'inscription sont de 49 euros.", "tarifs",
         "prix coût combien abonnement formule mois tarif"),
        ("Puis-je suspendre mon abonnement ?",
         "Oui, pour raison médicale ou un déplacement de plus d'un mois, sur justificatif, jusqu'à trois mois par "
         "an. La demande se fait à l'accueil.", "abonnement", "pause suspension gel blessure voyage"),
        ("Comment résilier mon abonnement ?",
         "La résiliation se fait à l'accueil ou par lettre recommandée, avec un mois de préavis à la fin de la "
         "période d'engagement.", "abonnement", "résilier résiliation arrêter quitter partir"),
        ("Puis-je changer de formule d'abonnement ?",
         "Oui, tu peux passer à une formule avec engagement à tout moment à l'accueil ; le nouveau tarif "
         "s'applique le mois suivant.", "abonnement", "changer formule upgrade"),
        ("Puis-je venir avec un ami ?",
         "Oui, chaque membre peut inviter un ami une fois par mois gratuitement. L'invité présente une pièce "
         "d'identité à l'accueil.", "abonnement", "invité ami pote copain copine amener invitation séance découverte"),
        ("Y a-t-il un programme de parrainage ?",
         "Oui : si un ami s'abonne grâce à toi, vous gagnez chacun un mois offert.", "abonnement",
         "parrainer parrain filleul"),
        ("Faut-il une serviette ?",
         "Oui, la serviette est obligatoire sur les machines et les tapis. Tu peux en louer une à l'accueil pour "
         "deux euros.", "regles", "serviette hygiène"),
        ("Y a-t-il des casiers ?",
         "Les casiers des vestiaires sont gratuits pendant la séance ; apporte ton cadenas ou achète-en un à "
         "l'accueil. Ils sont vidés chaque soir à la fermeture.", "vestiaires", "casier cadenas affaires"),
        ("Les douches sont-elles disponibles ?",
         "Oui, les vestiaires hommes et femmes ont des douches, du savon et des sèche-cheveux.", "vestiaires",
         "douche se laver sèche-cheveux"),
        ("Y a-t-il un sauna ?", "Oui, le sauna est ouvert de 10 h à 21 h, pour les plus de 18 ans, pas plus de quinze "
         "minutes par séance.", "equipements", "sauna hammam détente"),
        ("J'ai perdu mon badge, que faire ?",
         "Signale-le à l'accueil : il est désactivé tout de suite et un nouveau badge coûte dix euros.", "acces",
         "badge perdu carte volé"),
        ("À partir de quel âge peut-on s'inscrire ?",
         "Dès 16 ans avec une autorisation parentale, et sans autorisation à partir de 18 ans.", "abonnement",
         "âge minimum mineur ado"),
        ("Faut-il un certificat médical ?",
         "Il n'est pas obligatoire, mais nous le conseillons si tu reprends le sport après une longue pause ou si "
         "tu as un problème de santé.", "sante", "certificat médical médecin santé"),
        ("Y a-t-il du wifi ?", "Oui, le wifi est gratuit ; le mot de passe est affiché à l'accueil.", "services",
         "internet wifi connexion code mot de passe"),
        ("Quand la salle est-elle la moins fréquentée ?",
         "Les heures calmes sont en milieu de matinée, entre 10 h et 12 h, et en début d'après-midi. Le pic est "
         "entre 18 h et 20 h en semaine.", "affluence", "monde affluence calme heures creuses bondé plein soir"),
        ("Comment se passe le bilan forme ?",
         "Le bilan forme dure 45 minutes avec un coach : objectifs, tests simples et un premier programme. Il est "
         "offert aux nouveaux membres.", "coaching", "bilan évaluation début programme"),
        ("Puis-je avoir un programme d'entraînement personnalisé ?",
         "Oui, nos coachs préparent un programme adapté à ton objectif lors d'un bilan ou d'une séance de coaching.",
         "coaching", "programme personnalisé plan entraînement"),
        ("Les enfants peuvent-ils venir ?",
         "La salle est réservée aux plus de 16 ans ; il n'y a pas de garderie.", "regles", "enfant bébé garderie"),
        ("Les animaux sont-ils acceptés ?", "Non, seuls les chiens d'assistance sont acceptés.", "regles",
         "chien chat animal animaux"),
        ("J'ai oublié quelque chose dans la salle, que faire ?",
         "Les objets trouvés sont gardés un mois à l'accueil ; demande à l'équipe.", "services",
         "objet perdu oublié trouvé"),
        ("Quelle tenue faut-il ?",
         "Une tenue de sport propre et des chaussures de salle réservées à l'intérieur ; pas de sandales sur le "
         "plateau.", "regles", "tenue chaussures vêtements"),
        ("Comment payer mon abonnement ?",
         "Par prélèvement mensuel, par carte à l'accueil ou en une fois pour l'année. Les chèques vacances sont "
         "acceptés.", "tarifs", "paiement prélèvement carte chèque"),
        ("La salle est-elle accessible aux personnes à mobilité réduite ?",
         "Oui, l'entrée est de plain-pied, un vestiaire est adapté et plusieurs machines sont accessibles en "
         "fauteuil.", "acces", "handicap fauteuil accessibilité PMR"),
        ("Puis-je apporter ma propre musique ou mon enceinte ?",
         "Les écouteurs sont les bienvenus, mais pas d'enceinte pour respecter les autres membres.", "regles",
         "musique enceinte écouteurs"),
        ("Comment signaler une machine en panne ?",
         "Dis-le à Jarvis ou à l'accueil : la machine est signalée tout de suite à l'équipe technique.",
         "equipements", "panne cassé machine hors service"),
        ("Y a-t-il une application ?",
         "Oui, l'application Énergie Fitness permet de réserver les cours, suivre tes séances et voir l'affluence.",
         "services", "application appli smartphone"),
        ("Peut-on acheter des boissons ou des collations ?",
         "Oui, l'accueil propose de l'eau, des boissons protéinées et des barres de céréales.", "services",
         "boisson snack protéine bar"),
    ]

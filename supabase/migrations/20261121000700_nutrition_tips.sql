-- Curated nutrition tips by goal: general advice that a gym may give, never a diet or medical advice.
-- "general" tips are returned with every goal.

insert into public.nutrition_tips (goal, position, tip) values
  ('general', 1, 'Bois régulièrement de l''eau pendant la séance, par petites gorgées, et aussi avant et après.'),
  ('general', 2, 'Un repas léger deux à trois heures avant l''entraînement évite la fringale et l''inconfort.'),
  ('general', 3, 'Les fruits et légumes variés à chaque repas couvrent une bonne partie des vitamines et minéraux.'),
  ('perte_de_poids', 1, 'Privilégie les aliments peu transformés : légumes, protéines maigres, féculents complets.'),
  ('perte_de_poids', 2, 'Remplir la moitié de l''assiette de légumes aide à manger à sa faim avec moins de calories.'),
  ('perte_de_poids', 3, 'Les boissons sucrées et l''alcool apportent beaucoup de calories sans rassasier.'),
  ('perte_de_poids', 4, 'Vise une perte progressive : les régimes très stricts font souvent reprendre le poids perdu.'),
  ('prise_de_masse', 1, 'Répartis les protéines sur la journée : œufs, poisson, viande, laitages, légumineuses.'),
  ('prise_de_masse', 2, 'Après la séance, une collation avec des protéines et des glucides aide la récupération.'),
  ('prise_de_masse', 3, 'Pour prendre du muscle, il faut manger un peu plus que ce que tu dépenses, sans excès.'),
  ('prise_de_masse', 4, 'Le sommeil compte autant que l''assiette : sept à neuf heures par nuit.'),
  ('remise_en_forme', 1, 'Trois vrais repas par jour et une collation si besoin, c''est une bonne base.'),
  ('remise_en_forme', 2, 'Une poignée d''oléagineux ou un fruit avant la séance donne de l''énergie sans alourdir.'),
  ('remise_en_forme', 3, 'Limite les produits ultra-transformés, pas besoin de tout supprimer d''un coup.'),
  ('endurance', 1, 'Les féculents complets sont le carburant des efforts longs : pâtes, riz, pain complet.'),
  ('endurance', 2, 'Pour une séance de plus d''une heure, pense à boire et à avoir un apport sucré.'),
  ('endurance', 3, 'Après un effort long, réhydrate-toi et mange dans l''heure qui suit.'),
  ('force', 1, 'Un apport régulier en protéines à chaque repas soutient la récupération musculaire.'),
  ('force', 2, 'Avant une grosse séance, un repas avec des glucides complexes t''aide à garder de l''énergie.'),
  ('force', 3, 'La créatine et les compléments se discutent avec un professionnel de santé, pas au hasard.'),
  ('souplesse', 1, 'Une bonne hydratation aide les muscles et les tissus à rester souples.'),
  ('souplesse', 2, 'Les poissons gras, les noix et l''huile de colza apportent des oméga-3 intéressants.'),
  ('bien_etre', 1, 'Mange lentement et à heures régulières : le corps et la digestion aiment la régularité.'),
  ('bien_etre', 2, 'Évite les repas lourds juste avant de dormir pour un sommeil plus récupérateur.'),
  ('bien_etre', 3, 'Se faire plaisir de temps en temps fait partie d''une alimentation équilibrée.');

META
key;value
description;Municipal PB in Toulouse
country;France
unit;Toulouse
subunit;17 - Mirail-Université / Reynerie / Bellefontaine
instance;2022
num_projects;10
num_votes;93
budget;400000.0
vote_type;approval
rule;greedy
date_begin;03.10.2022
date_end;31.10.2022
min_length;1
max_length;3
currency;EUR
PROJECTS
project_id;cost;votes;name;category;district
180;75000.0;20;Pépinière-jardin du quartier Reynerie-Bellefontaine;Nature en ville;17 - Mirail-Université / Reynerie / Bellefontaine
183;200000.0;21;Le WorksParc, un complexe sportif en plein air, au croisement entre plusieurs disciplines ( Street Worksout, Chase Tag, Parkour);Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
178;10500.0;2;Installation de bornes de recharge électrique dans le parc HLM/ZFU;Éco-mobilité;17 - Mirail-Université / Reynerie / Bellefontaine
182;200000.0;33;"Aménagement de cours ""OASIS"" à l'école élémentaire Victor Hugo";Nature en ville;17 - Mirail-Université / Reynerie / Bellefontaine
181;30000.0;2;Aménagement voie accès Ecole maternelle Victor Hugo;Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
185;65000.0;6;Un city stade pour les enfants de moins de 11ans;Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
186;100000.0;10;De l'art sur les murs aveugles;Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
187;39000.0;2;Espace de jeux Place Niki de St-Phalle;Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
184;10000.0;4;Guinguette Petit Bois;Cadre de vie;17 - Mirail-Université / Reynerie / Bellefontaine
179;80000.0;5;Augmenter l'Installation de L'arbre Algal dans Toulouse;Nature en ville;17 - Mirail-Université / Reynerie / Bellefontaine
VOTES
voter_id;vote
17-37;185
17-109;187
17-191;180
17-195;180
17-240;185
17-250;185
17-276;180
17-285;184
17-364;186,183,180
17-389;183
17-445;180
17-495;183
17-671;186
17-679;182,184,181
17-833;183
17-895;180
17-1028;180
17-1042;183
17-1065;186
17-1232;186
17-1375;180
17-1413;182
17-1487;186
17-1708;182
17-1710;182
17-1722;182
17-1748;182
17-1750;182
17-1804;182
17-1819;182
17-1821;182
17-1833;182
17-1872;186
17-1920;183
17-1993;182
17-2037;183
17-2063;183
17-2153;186,183
17-2164;183
17-2172;183
17-2225;180
17-2263;179
17-2334;182
17-2356;180
17-2514;182
17-2642;182
17-2709;182
17-2710;182
17-2719;182
17-2770;182
17-2800;180
17-2845;186,184
17-2878;178
17-3084;182,181
17-3244;182
17-3255;182
17-3274;179
17-3293;179
17-3294;183
17-3320;183,180
17-3450;180
17-3591;183
17-3595;183
17-3603;182
17-3626;180
17-3629;183
17-3637;180
17-3669;183
17-3670;182,180
17-3795;186
17-3864;179
17-3876;180
17-3885;182
17-3896;182
17-4046;180
17-4068;182
17-4217;182
17-4264;187
17-4360;185
17-4389;183
17-4413;182
17-4417;182
17-4504;182
17-4534;180
17-4590;186,183,179
17-4662;185,183
17-4678;185
17-4711;183
17-4799;178
17-4849;182
17-5082;180
17-5149;184
17-5160;182

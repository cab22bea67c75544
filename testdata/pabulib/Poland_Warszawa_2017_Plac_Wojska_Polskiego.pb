META
key;value
description;Local PB in Warszawa, Wesoła | Plac Wojska Polskiego
country;Poland
unit;Warszawa
district;Wesoła
subunit;Plac Wojska Polskiego
instance;2017
num_projects;4
num_votes;27
budget;51195
vote_type;approval
rule;greedy
date_begin;14.06.2016
date_end;24.06.2016
min_length;1
max_sum_cost;51195
edition;3
language;pl
currency;PLN
fully_funded;1
PROJECTS
project_id;cost;votes;name;category;beneficiaries;selected
427;15995;16;Akademia Szkraba;education;children,families with children;1
915;5825;14;Plac Wojska Polskiego dla gniazdujących;education,environmental protection;None;1
2567;20000;12;Aktywny senior - gimnastyka;education,sport,health;seniors;1
1623;2900;5;Życzliwość wobec kobiet w ciąży dla mieszkanek Wesołej.;public space,health;adults,people with disabilities;1
VOTES
voter_id;vote;age;sex;voting_method
5642;427;33;F;internet
7230;2567;65;F;internet
8987;915;30;F;internet
10533;915;20;F;internet
15240;427,915,2567,1623;37;M;internet
16498;2567,915;67;M;paper
16910;2567,915;68;F;paper
22288;427,2567,915;24;F;internet
24842;2567;14;M;internet
32398;915,1623,2567,427;29;F;internet
32998;427;29;F;internet
44924;427;36;F;internet
47826;2567,1623;69;F;paper
48423;915;10;F;internet
48974;427;52;F;internet
50829;427,2567,1623,915;36;F;internet
57441;915,2567,427;26;F;internet
57475;915,427;64;M;internet
72881;915;33;F;internet
79157;427;52;F;internet
80175;2567;38;F;internet
87967;427,2567,1623,915;34;M;paper
88076;427;28;F;internet
88639;915;63;M;internet
94116;427;33;M;internet
103942;427;54;M;internet
104255;427;53;F;internet

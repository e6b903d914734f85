"""Words the generated profiles are made of: common first and last names, job titles,
employers, group topics. Earlier entries are drawn more often (see ``generator._zipf``), so
names repeat the way they do in a real network."""

from __future__ import annotations


def _unique(words: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words.split()))


FIRST_NAMES = _unique(
    "James Mary Michael Patricia Robert Jennifer John Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy "
    "Matthew Sandra Anthony Betty Mark Ashley Donald Emily Steven Kimberly Andrew Margaret "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa Timothy Deborah "
    "Ronald Stephanie George Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy "
    "Jacob Amy Nicholas Kathleen Gary Angela Eric Shirley Jonathan Emma Stephen Brenda "
    "Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria "
    "Jack Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam "
    "Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle "
    "Joan Noah Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith "
    "Megan Austin Cheryl Roger Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl "
    "Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence "
    "Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber "
    "Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle Wayne Marilyn "
    "Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla "
    "Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany Priya Wei Mei Hiroshi Yuki "
    "Aisha Omar Fatima Ahmed Sofia Mateo Lucia Diego Camila Ines Pierre Chloe Lars Ingrid "
    "Sven Anja Jan Eva Tomasz Katarzyna Ivan Olga Arjun Ananya Chen Li Kenji Sakura "
    "Kwame Amara Chinedu Ngozi Rafael Beatriz Joao Mariana Luca Giulia Ada Grace Alan"
)

LAST_NAMES = _unique(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards "
    "Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan "
    "Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson "
    "Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan "
    "Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan "
    "Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole "
    "Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas "
    "Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter "
    "Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner "
    "Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza "
    "Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley "
    "Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott "
    "Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ray Berry Perkins "
    "Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval "
    "Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Sato Suzuki Takahashi Tanaka Watanabe "
    "Kumar Singh Sharma Gupta Shah Mehta Rao Iyer Khan Ali Hussain Rahman Okafor Mensah "
    "Mueller Schneider Fischer Weber Becker Rossi Russo Ferrari Esposito Bianchi Dubois "
    "Laurent Bernard Moreau Novak Kowalski Nowak Ivanova Petrov Larsen Nielsen Jensen "
    "Andersson Johansson Eriksson Lovelace Hopper Turing"
)

TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Staff Engineer",
    "Engineering Manager",
    "Product Manager",
    "Senior Product Manager",
    "Data Scientist",
    "Data Engineer",
    "Machine Learning Engineer",
    "Designer",
    "UX Researcher",
    "Recruiter",
    "Talent Partner",
    "Account Executive",
    "Sales Manager",
    "Marketing Manager",
    "Growth Lead",
    "Customer Success Manager",
    "Financial Analyst",
    "Accountant",
    "Consultant",
    "Project Manager",
    "Operations Manager",
    "Nurse",
    "Physician",
    "Teacher",
    "Professor",
    "Researcher",
    "Lawyer",
    "Architect",
    "Civil Engineer",
    "Mechanical Engineer",
    "Electrical Engineer",
    "Founder",
    "Co-founder",
    "CEO",
    "CTO",
    "VP Engineering",
    "Head of People",
    "Student",
)

EMPLOYERS = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Pied Piper",
    "Vandelay Industries",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Aperture Labs",
    "Black Mesa",
    "Wonka Foods",
    "Oceanic Air",
    "Monarch Bank",
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Blue Sun",
    "Gringotts",
    "Massive Dynamic",
    "Dunder Mifflin",
    "Prestige Worldwide",
    "Rekall",
    "Nakatomi Trading",
    "Virtucon",
    "Sterling Cooper",
    "Bluth Company",
    "City Hospital",
    "State University",
    "Public Schools",
    "a startup",
    "a consultancy",
)

GROUP_TOPICS = (
    "Python",
    "Data Engineering",
    "Machine Learning",
    "Product Management",
    "UX Design",
    "Cloud Infrastructure",
    "Security",
    "Frontend",
    "Mobile",
    "Open Source",
    "Startups",
    "Venture Capital",
    "Fintech",
    "Healthcare",
    "Nursing",
    "Education",
    "Recruiting",
    "Sales Leadership",
    "Marketing",
    "Women in Tech",
    "Remote Work",
    "Engineering Leadership",
    "Accounting",
    "Supply Chain",
    "Renewable Energy",
    "Architecture",
    "Legal Tech",
    "Public Policy",
    "Alumni",
    "Career Changers",
)

GROUP_KINDS = (
    "Network",
    "Professionals",
    "Community",
    "Meetup",
    "Forum",
    "Circle",
    "Guild",
    "Society",
    "Club",
    "Exchange",
)

MESSAGES = (
    "Hi! We met at the conference last week, would be great to stay in touch.",
    "I enjoyed your talk and would like to connect.",
    "We are in the same group, let's connect.",
    "Hello, I'm expanding my network in this field.",
    "Great working with you on the project!",
)

# Private tags members keep on their connections.
TAGS = ("Conference", "Former colleague", "Recruiter", "Mentor", "Client", "University")

"""The planner's word tables: English words and phrases for each name of the vocabulary.

Pure data, kept apart from the code that reads it, so that teaching the planner a new word
is a one-line change here. Nouns are listed in the singular and verbs in their base form;
`lexicon` adds plurals and inflections. A phrase is written in lower case, with spaces where
a prompt may have spaces or hyphens ("close up" matches "close-up").
"""

from __future__ import annotations

# fmt: off
# --- subjects ----------------------------------------------------------------------------

# Kind -> nouns that name it. The kind's own name is added by the lexicon.
SUBJECT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "car": (
        "automobile", "sedan", "taxi", "cab", "jeep", "suv", "convertible", "sports car",
        "race car", "racecar", "racing car", "limousine", "limo", "coupe", "hatchback",
        "police car", "minivan", "vehicle", "roadster", "supercar", "hot rod",
    ),
    "truck": (
        "lorry", "pickup", "pickup truck", "van", "fire truck", "firetruck", "fire engine",
        "tractor", "bulldozer", "dump truck", "semi truck", "delivery truck", "food truck",
    ),
    "bus": ("minibus", "double decker", "double decker bus", "coach bus", "trolleybus"),
    "bicycle": ("bike", "tricycle", "unicycle", "mountain bike", "bmx"),
    "motorcycle": ("motorbike", "scooter", "moped", "dirt bike"),
    "train": (
        "locomotive", "tram", "streetcar", "subway train", "steam train", "bullet train",
        "freight train", "railcar", "monorail",
    ),
    "boat": (
        "canoe", "kayak", "rowboat", "dinghy", "raft", "speedboat", "motorboat", "gondola",
        "fishing boat", "jet ski", "tugboat", "paddle boat",
    ),
    "sailboat": ("yacht", "sailing boat", "catamaran", "sloop", "schooner"),
    "ship": (
        "vessel", "ocean liner", "liner", "cruise ship", "steamship", "pirate ship", "galleon",
        "battleship", "freighter", "ferry", "tall ship", "warship",
    ),
    "submarine": ("submersible", "u boat"),
    "airplane": (
        "plane", "aeroplane", "jet", "jetliner", "airliner", "aircraft", "biplane",
        "fighter jet", "glider", "seaplane", "passenger jet",
    ),
    "helicopter": ("chopper", "heli"),
    "rocket": ("space shuttle", "shuttle", "missile", "space rocket"),
    "hot_air_balloon": ("hot air balloon", "montgolfier", "air balloon"),
    "ufo": ("flying saucer", "alien ship", "alien spaceship", "alien spacecraft", "mothership"),
    "dog": (
        "puppy", "pup", "hound", "corgi", "poodle", "labrador", "retriever", "terrier",
        "beagle", "husky", "dachshund", "bulldog", "doggo", "pooch", "canine", "sheepdog",
        "wolf", "chihuahua", "pug", "german shepherd", "greyhound", "collie", "spaniel",
        "rottweiler", "doberman", "shiba", "shiba inu", "doggy", "doggie", "puppy dog",
    ),
    "cat": ("kitten", "kitty", "tabby", "feline", "tomcat", "kitty cat", "house cat", "lynx"),
    "horse": ("pony", "stallion", "mare", "foal", "donkey", "mule", "steed", "colt"),
    "cow": ("bull", "ox", "calf", "buffalo", "bison", "yak", "heifer"),
    "sheep": ("lamb", "ram", "ewe", "goat", "llama", "alpaca", "mountain goat"),
    "pig": ("piglet", "hog", "boar", "swine", "piggy"),
    "rabbit": ("bunny", "hare", "bunny rabbit"),
    "fox": ("vixen", "fennec"),
    "bear": ("grizzly", "grizzly bear", "brown bear", "black bear", "bear cub", "teddy bear"),
    "lion": ("lioness", "lion cub"),
    "elephant": ("mammoth", "baby elephant"),
    "giraffe": (),
    "bird": (
        "eagle", "hawk", "falcon", "seagull", "gull", "sparrow", "robin", "pigeon",
        "parrot", "hummingbird", "chicken", "hen", "rooster", "bluebird", "songbird", "vulture",
        "stork", "heron", "crane", "pelican", "toucan", "peacock", "finch", "birdie",
        "kingfisher", "magpie", "canary bird",
    ),
    "owl": ("barn owl", "owlet"),
    "duck": ("duckling", "goose", "swan", "mallard", "gosling"),
    "penguin": ("emperor penguin",),
    "fish": ("trout", "salmon", "tuna", "minnow", "carp", "guppy", "piranha", "stingray", "ray"),
    "shark": ("great white", "great white shark", "hammerhead"),
    "whale": ("humpback", "humpback whale", "sperm whale", "blue whale", "beluga"),
    "dolphin": ("porpoise",),
    "turtle": ("tortoise", "sea turtle", "terrapin"),
    "frog": ("toad", "tadpole", "bullfrog"),
    "snake": ("serpent", "cobra", "python", "viper", "rattlesnake", "anaconda"),
    "butterfly": ("moth", "dragonfly", "monarch butterfly"),
    "bee": ("bumblebee", "honeybee", "wasp", "hornet", "bumble bee", "honey bee"),
    "person": (
        "human", "someone", "somebody", "figure", "individual", "stranger", "traveler",
        "traveller", "tourist", "hiker", "runner", "pedestrian", "passerby", "student",
        "teacher", "farmer", "soldier", "detective", "doctor", "nurse", "police officer",
        "cop", "worker", "musician", "singer", "athlete", "player", "skier", "surfer",
        "skateboarder", "pilot", "sailor", "jogger", "cyclist", "climber", "explorer",
        "scientist", "artist", "photographer", "adult", "friend", "couple", "movie star",
        "rock star", "pop star", "character", "hero", "villain", "pirate", "ninja", "monk",
        "dr", "professor", "prof", "officer", "guard", "waiter", "cashier", "driver",
        "rider", "passenger", "visitor",
        "shepherd", "clown", "firefighter", "fireman", "cowboy",
    ),
    "man": (
        "guy", "gentleman", "boyfriend", "husband", "father", "dad", "grandfather",
        "grandpa", "old man", "businessman", "fisherman", "king", "prince", "mr", "sir",
        "bearded man", "young man", "uncle", "brother",
    ),
    "woman": (
        "lady", "girlfriend", "wife", "mother", "mom", "mum", "grandmother", "grandma",
        "businesswoman", "queen", "princess", "bride", "old woman", "young woman", "mrs", "ms",
        "aunt", "sister", "cowgirl", "madam", "waitress", "actress",
    ),
    "child": (
        "kid", "girl", "boy", "toddler", "baby", "infant", "son", "daughter", "youngster",
        "little girl", "little boy", "schoolgirl", "schoolboy", "teenager", "teen", "kiddo",
    ),
    "astronaut": ("cosmonaut", "spaceman", "spacewoman", "space explorer"),
    "knight": ("paladin", "warrior", "samurai", "crusader", "swordsman", "gladiator"),
    "wizard": (
        "witch", "sorcerer", "sorceress", "mage", "magician", "warlock", "enchanter",
        "enchantress", "druid",
    ),
    "chef": ("baker", "sous chef", "pastry chef", "head chef"),
    "dancer": ("ballerina", "ballet dancer", "breakdancer", "tap dancer", "figure skater"),
    "robot": ("android", "droid", "cyborg", "mech", "automaton", "bot", "humanoid robot"),
    "ghost": ("spirit", "phantom", "specter", "spectre", "spook", "apparition", "poltergeist"),
    "dragon": ("wyvern", "drake"),
    "dinosaur": (
        "t rex", "trex", "tyrannosaurus", "tyrannosaurus rex", "raptor", "velociraptor",
        "triceratops", "brontosaurus", "stegosaurus", "dino", "pterodactyl",
    ),
    "unicorn": ("pegasus", "alicorn"),
    "alien": ("extraterrestrial", "martian", "little green man"),
    "ball": (
        "football", "soccer ball", "basketball", "beach ball", "baseball", "tennis ball",
        "volleyball", "bowling ball", "rubber ball",
    ),
    "balloon": ("party balloon", "helium balloon", "balloon animal"),
    "kite": ("paper kite",),
    "umbrella": ("parasol", "brolly"),
    "tree": (
        "oak", "pine", "palm tree", "birch", "maple", "willow", "sapling", "christmas tree",
        "pine tree", "oak tree", "fir", "spruce", "cherry tree", "redwood", "sequoia",
        "baobab", "bonsai",
    ),
    "flower": (
        "rose", "tulip", "daisy", "lily", "orchid", "blossom", "poppy", "lotus", "dandelion",
        "lavender flower", "wildflower", "bouquet",
    ),
    "house": (
        "cottage", "cabin", "hut", "mansion", "bungalow", "farmhouse", "barn", "villa",
        "shack", "chalet", "treehouse", "home",
    ),
    "castle": ("palace", "fortress", "fort", "citadel", "chateau", "stronghold"),
    "lighthouse": ("beacon tower",),
    "windmill": ("wind turbine", "wind mill"),
}

# Nouns that come with a colour or size of their own: phrase -> (kind, colour, size).
SUBJECT_VARIANTS: dict[str, tuple[str, str | None, str | None]] = {
    "polar bear": ("bear", "white", None),
    "panda": ("bear", "white", None),
    "giant panda": ("bear", "white", "large"),
    "snowy owl": ("owl", "white", None),
    "golden retriever": ("dog", "gold", None),
    "dalmatian": ("dog", "white", None),
    "tiger": ("cat", "orange", "large"),
    "leopard": ("cat", "gold", "large"),
    "cheetah": ("cat", "gold", "large"),
    "jaguar": ("cat", "gold", "large"),
    "panther": ("cat", "black", "large"),
    "black panther": ("cat", "black", "large"),
    "snow leopard": ("cat", "white", "large"),
    "red panda": ("fox", "red", "small"),
    "zebra": ("horse", "white", None),
    "camel": ("horse", "beige", None),
    "deer": ("horse", "brown", None),
    "reindeer": ("horse", "brown", None),
    "goldfish": ("fish", "orange", "small"),
    "clownfish": ("fish", "orange", "small"),
    "koi": ("fish", "orange", None),
    "orca": ("whale", "black", None),
    "killer whale": ("whale", "black", None),
    "flamingo": ("bird", "pink", None),
    "crow": ("bird", "black", None),
    "raven": ("bird", "black", None),
    "bat": ("bird", "black", "small"),
    "blackbird": ("bird", "black", None),
    "cardinal": ("bird", "red", None),
    "bluejay": ("bird", "blue", None),
    "blue jay": ("bird", "blue", None),
    "canary": ("bird", "yellow", "small"),
    "ladybug": ("bee", "red", "tiny"),
    "ladybird": ("bee", "red", "tiny"),
    "sunflower": ("flower", "yellow", None),
    "school bus": ("bus", "yellow", None),
    "fire engine red": ("car", "red", None),
    "yellow cab": ("car", "yellow", None),
    "palm": ("tree", None, None),
    "skyscraper": ("house", "grey", "huge"),
    "teddy": ("bear", "brown", "small"),
    "puppy": ("dog", None, "small"),
    "kitten": ("cat", None, "small"),
    "pony": ("horse", None, "small"),
    "foal": ("horse", None, "small"),
    "piglet": ("pig", None, "small"),
    "duckling": ("duck", None, "small"),
    "lamb": ("sheep", None, "small"),
    "lion cub": ("lion", None, "small"),
    "bear cub": ("bear", None, "small"),
    "baby elephant": ("elephant", None, "small"),
    "toddler": ("child", None, "small"),
    "mammoth": ("elephant", "brown", "huge"),
    "whale shark": ("shark", "grey", "huge"),
    "cherry blossom": ("flower", "pink", None),
}

# Nouns that are already plural and have no singular in the tables.
PLURAL_NOUNS: dict[str, str] = {
    "people": "person",
    "folks": "person",
    "cattle": "cow",
    "livestock": "cow",
    "poultry": "bird",
    "kids": "child",
}

# Group nouns that are a subject with a count: "a crowd cheers" is five people.
GROUP_NOUNS: dict[str, tuple[str, int]] = {
    "crowd": ("person", 5),
    "audience": ("person", 5),
    "family": ("person", 3),
    "flock": ("bird", 5),
    "swarm": ("bee", 5),
    "herd": ("cow", 5),
    "school of fish": ("fish", 5),
    "fleet": ("ship", 3),
    "twins": ("child", 2),
}

# "Spaceship" is a rocket, unless an alien is about: then it is a flying saucer.
SPACECRAFT_NOUNS: tuple[str, ...] = ("spaceship", "spacecraft", "starship", "space ship")
SPACECRAFT_KIND = "rocket"
ALIEN_SPACECRAFT_KIND = "ufo"

# Subject nouns that also name a place when the prompt puts something there: "a knight in
# front of a castle" is set at a castle; "a cat asleep in a house" is set in a room.
PLACE_NOUNS: dict[str, tuple[str, frozenset[str]]] = {
    "castle": (
        "castle",
        frozenset(
            {
                "in", "inside", "at", "near", "by", "before", "behind", "beside", "outside",
                "around", "into", "within", "of", "towards", "toward", "above", "over",
                "past", "to", "from", "below", "under", "beneath",
            }
        ),
    ),
    "house": ("room", frozenset({"in", "inside", "into", "within"})),
}

# --- attributes --------------------------------------------------------------------------

COLOUR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "red": (
        "crimson", "scarlet", "ruby", "cherry", "vermilion", "burgundy", "maroon", "reddish",
        "blood red", "cherry red", "wine red", "rust",
    ),
    "orange": ("tangerine", "amber", "apricot", "orangish", "peach", "ginger"),
    "yellow": ("lemon", "mustard", "yellowish", "canary yellow", "lemon yellow", "blonde"),
    "gold": ("golden", "gilded", "gilt", "goldish", "honey"),
    "green": (
        "emerald", "lime", "olive", "jade", "mint", "greenish", "forest green", "lime green",
        "sage", "neon green",
    ),
    "teal": ("turquoise", "aquamarine", "sea green", "blue green"),
    "cyan": ("aqua", "sky blue", "light blue", "baby blue", "ice blue", "electric blue"),
    "blue": ("azure", "cobalt", "sapphire", "royal blue", "cerulean", "bluish", "blueish"),
    "navy": ("navy blue", "midnight blue", "dark blue", "indigo"),
    "purple": (
        "violet", "lavender", "lilac", "plum", "mauve", "purplish", "amethyst", "grape",
    ),
    "pink": ("blush", "pinkish", "rose pink", "bubblegum", "salmon pink", "baby pink"),
    "magenta": ("fuchsia", "hot pink", "cerise"),
    "brown": (
        "chocolate", "chestnut", "coffee", "copper", "bronze", "brownish", "mahogany",
        "caramel", "cinnamon", "hazel", "auburn",
    ),
    "beige": ("tan", "cream", "khaki", "sandy", "ivory", "buff", "ecru", "taupe"),
    "black": ("jet black", "ebony", "onyx", "pitch black", "inky", "coal black", "blackish"),
    "grey": ("gray", "charcoal", "slate", "ash", "ashen", "greyish", "grayish", "graphite"),
    "silver": ("silvery", "metallic", "chrome", "chromed", "steel", "platinum", "pewter"),
    "white": ("snow white", "pearl", "milky", "pure white", "alabaster", "whitish", "snowy white"),
}

SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "tiny": ("tiny", "teeny", "minuscule", "microscopic", "itty bitty", "teensy", "wee"),
    "small": ("small", "little", "mini", "miniature", "petite", "smallish", "toy"),
    "medium": ("medium", "medium sized", "average sized", "normal sized", "mid sized"),
    "large": ("big", "large", "tall", "oversized", "hefty", "bigger", "larger", "fat"),
    "huge": (
        "huge", "giant", "gigantic", "enormous", "massive", "colossal", "immense", "towering",
        "titanic", "monstrous", "humongous", "gargantuan", "mega", "vast", "mighty",
    ),
}

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "a hundred": 100, "thousand": 1000, "a thousand": 1000,
    "single": 1, "lone": 1, "solitary": 1, "a single": 1, "a lone": 1, "one single": 1,
    "both": 2, "twin": 2, "a pair of": 2, "pair of": 2, "a couple of": 2, "couple of": 2,
    "a couple": 2, "duo of": 2, "a duo of": 2,
    "a few": 3, "few": 3, "several": 3, "a handful of": 3, "handful of": 3, "a trio of": 3,
    "trio of": 3, "three of": 3, "multiple": 3, "a group of": 3, "group of": 3,
    "a family of": 3, "family of": 3, "a team of": 3, "team of": 3, "a band of": 3,
    "band of": 3, "some": 3, "a quartet of": 4, "quartet of": 4,
    "many": 5, "lots of": 5, "a lot of": 5, "plenty of": 5, "numerous": 5, "a bunch of": 5,
    "bunch of": 5, "a flock of": 5, "flock of": 5, "a herd of": 5, "herd of": 5,
    "a pack of": 5, "pack of": 5, "a school of": 5, "school of": 5, "a swarm of": 5,
    "swarm of": 5, "a pod of": 5, "pod of": 5, "a pride of": 5, "pride of": 5,
    "a gaggle of": 5, "gaggle of": 5, "a colony of": 5, "colony of": 5, "a crowd of": 5,
    "crowd of": 5, "a fleet of": 5, "fleet of": 5, "a convoy of": 5, "convoy of": 5,
    "a row of": 5, "row of": 5, "a line of": 5, "line of": 5, "a parade of": 5,
    "parade of": 5, "a troop of": 5, "troop of": 5, "an army of": 12, "army of": 12,
    "a dozen": 12, "dozen": 12, "dozens of": 12, "hundreds of": 12, "thousands of": 12,
    "millions of": 12, "countless": 12, "a sea of": 12,
}

# --- motion ------------------------------------------------------------------------------

# Pseudo-motions resolved per subject once its kind is known:
MOVE = "_move"  # "moves", "travels", "crosses": the kind's own way of getting about
RIDE = "_ride"  # "rides", "pedals": the mount moves, and the rider with it

MOTION_VERBS: dict[str, tuple[str, ...]] = {
    "walk": (
        "walk", "stroll", "wander", "march", "hike", "stride", "amble", "strut", "stomp",
        "trudge", "waddle", "tiptoe", "step", "roam", "saunter", "trek", "plod", "patrol",
        "limp", "shuffle", "stagger", "crawl", "wade", "climb", "prowl", "sneak", "creep",
        "pace", "promenade",
    ),
    "run": (
        "run", "sprint", "race", "chase", "dash", "rush", "gallop", "charge", "jog", "flee",
        "hurry", "scamper", "scurry", "trot", "pursue", "hunt", "stampede", "bolt",
    ),
    "drive": (
        "drive", "speed", "roll", "cruise", "sail", "steer", "motor", "zoom past",
        "zoom by", "zoom along", "zoom down", "zoom through", "zoom across", "zoom around",
        "skid", "accelerate", "rumble", "chug", "barrel",
    ),
    "fly": (
        "fly", "soar", "glide", "flutter", "flap", "swoop", "take off", "lift off",
        "blast off", "launch", "throw", "toss", "kick", "hurl", "fling", "release",
        "fly over", "fly by",
    ),
    "swim": ("swim", "dive", "paddle", "splash", "snorkel", "surf", "scuba dive"),
    "jump": (
        "jump", "hop", "bounce", "leap", "skip", "vault", "pounce", "somersault", "frolic",
        "romp", "prance", "jump up and down",
    ),
    "dance": ("dance", "boogie", "groove", "waltz", "tango", "breakdance", "twerk", "sway"),
    "spin": (
        "spin", "twirl", "whirl", "rotate", "pirouette", "revolve", "turn around",
        "cartwheel", "swirl", "spin around",
    ),
    "float": ("float", "drift", "hover", "levitate", "bob", "hang in the air"),
    "fall": (
        "fall", "drop", "tumble", "plummet", "plunge", "sink", "descend", "collapse",
        "topple", "fall down", "crash", "dive bomb",
    ),
    "circle": ("circle", "orbit", "loop", "go around", "circle around", "run in circles"),
    "approach": ("approach", "advance", "come closer", "come toward", "come towards",
                 "arrive", "draw near", "draw closer", "get closer", "move closer",
                 "come forward", "move toward", "move towards", "head toward",
                 "head towards"),
    "retreat": (
        "retreat", "leave", "exit", "depart", "recede", "withdraw", "go away", "move away",
        "walk away", "run away", "drive away", "fly away", "swim away", "head away",
        "back away", "ride away", "sail away", "float away", "disappear",
    ),
    "idle": (
        "sit", "stand", "sleep", "wait", "rest", "lie", "perch", "relax", "pause", "stop",
        "stay", "nap", "sunbathe", "lounge", "graze", "kneel", "crouch", "squat", "meditate",
        "pose", "stand still", "sit still", "stay still", "doze", "snooze", "idle", "linger",
        "land", "halt", "freeze", "fall asleep", "doze off", "lie down", "sit down",
        "settle down", "curl up",
    ),
    MOVE: (
        "move", "go", "travel", "cross", "pass", "proceed", "journey", "traverse", "commute",
        "pass by", "go by", "make its way", "make their way", "make his way", "make her way",
        "head down", "head across", "head into", "head through", "head along", "come",
        "enter",
    ),
    RIDE: ("ride", "pedal", "ride on"),
}

# Motion phrases that are not verbs (no inflection).
MOTION_PHRASES: dict[str, str] = {
    "away": "retreat",
    "away from the camera": "retreat",
    "into the distance": "retreat",
    "off into the distance": "retreat",
    "toward the camera": "approach",
    "towards the camera": "approach",
    "toward us": "approach",
    "towards us": "approach",
    "toward the viewer": "approach",
    "towards the viewer": "approach",
    "at the camera": "approach",
    "into the camera": "approach",
    "straight at us": "approach",
    "in circles": "circle",
    "in a circle": "circle",
    "around and around": "circle",
    "round and round": "circle",
    "in midair": "float",
    "in mid air": "float",
    "on the move": MOVE,
    "parked": "idle",
}

# How a verb treats the noun right after it ("a boy walks a dog", "a girl flies a kite"):
# SHARED: both move that way; CAUSATIVE: only the object does, when there is one;
# OBJECT_ONLY: only the object ever does ("a boy throws" does not make the boy fly).
SHARED_VERBS = frozenset(
    {"walk", "chase", "drive", "ride", "sail", "race", "pedal", "steer", "pursue", "hunt",
     "ride on"}
)
CAUSATIVE_VERBS = frozenset(
    {"fly", "drop", "spin", "roll", "bounce", "twirl", "launch", "swirl", "sink"}
)
OBJECT_ONLY_VERBS = frozenset({"throw", "toss", "kick", "hurl", "fling", "release"})

DIRECTION_PHRASES: dict[str, str] = {
    "to the left": "left",
    "toward the left": "left",
    "towards the left": "left",
    "leftward": "left",
    "leftwards": "left",
    "from right to left": "left",
    "right to left": "left",
    "westward": "left",
    "westwards": "left",
    "to the right": "right",
    "toward the right": "right",
    "towards the right": "right",
    "rightward": "right",
    "rightwards": "right",
    "from left to right": "right",
    "left to right": "right",
    "eastward": "right",
    "eastwards": "right",
}
# "left"/"right" right after a motion verb ("runs left") is a direction; elsewhere it is not.
BARE_DIRECTIONS: dict[str, str] = {"left": "left", "right": "right"}

# --- scene -------------------------------------------------------------------------------

SETTING_WORDS: dict[str, tuple[str, ...]] = {
    "city": (
        "downtown", "metropolis", "skyline", "cityscape", "urban", "city center",
        "city centre", "big city", "rooftop", "times square", "tokyo", "paris", "london",
        "new york", "manhattan", "chicago", "los angeles", "hong kong", "shanghai", "seoul",
        "dubai", "san francisco", "berlin", "rome", "train station", "city lights",
        "town square", "skyscrapers", "high rises", "megacity", "capital",
    ),
    "street": (
        "alley", "alleyway", "sidewalk", "pavement", "avenue", "boulevard", "bus stop",
        "crosswalk", "main street", "town", "market", "marketplace", "street corner", "car park",
        "city street", "side street", "cobblestone street", "crossroads", "intersection",
        "neighborhood", "neighbourhood", "suburb", "suburbs", "parking lot", "lane",
    ),
    "forest": (
        "woods", "woodland", "grove", "pine forest", "thicket", "enchanted forest",
        "campsite", "clearing", "forest floor", "treeline", "wilderness", "timberland",
    ),
    "jungle": (
        "rainforest", "rain forest", "tropical forest", "swamp", "bayou", "marsh",
        "wetlands", "tropics",
    ),
    "beach": (
        "shore", "seashore", "seaside", "coast", "coastline", "shoreline", "sandy beach",
        "lagoon", "pier", "boardwalk", "island", "tropical island", "bay",
        "sand",
    ),
    "ocean": (
        "sea", "open sea", "high seas", "ocean waves", "the waves", "crashing waves", "harbor",
        "harbour", "port", "marina", "open water", "open ocean", "seas", "the deep",
        "atlantic", "pacific",
    ),
    "underwater": (
        "under the sea", "under water", "under the ocean", "beneath the waves",
        "below the surface", "under the surface", "beneath the surface", "sea floor",
        "seafloor", "seabed", "ocean floor", "reef", "coral reef", "coral", "deep sea",
        "aquarium", "kelp forest", "under the waves", "depths", "ocean depths",
    ),
    "lake": (
        "pond", "reservoir", "lakeside", "lakeshore", "lake shore", "pool", "swimming pool",
        "loch", "mere",
    ),
    "river": (
        "stream", "creek", "brook", "riverbank", "river bank", "riverside", "waterfall",
        "canal", "rapids", "river bend", "waterway", "delta",
    ),
    "desert": (
        "dunes", "sand dunes", "sahara", "canyon", "wasteland", "badlands", "mesa", "oasis",
        "dune", "arid", "gobi", "outback",
    ),
    "mountains": (
        "mountain", "peak", "peaks", "alps", "summit", "cliff", "cliffs", "mountain range",
        "mountaintop", "mountain top", "ridge", "himalayas", "rockies", "mountainside",
        "highlands", "gorge", "mountain pass", "alpine",
    ),
    "arctic": (
        "tundra", "glacier", "north pole", "south pole", "antarctica", "antarctic",
        "iceberg", "ice field", "icefield", "frozen lake", "ice sheet", "igloo", "snowfield",
        "frozen tundra", "ice floe", "polar", "ice cap", "frozen wasteland",
    ),
    "countryside": (
        "farm", "farmland", "meadow", "field", "village", "hills", "hill", "hillside",
        "pasture", "prairie", "savanna", "savannah", "grassland", "rolling hills", "ranch",
        "vineyard", "orchard", "country road", "dirt road", "wheat field", "rural",
        "open field", "valley", "country", "plains", "farmyard", "cornfield", "railway",
        "railroad", "train tracks", "railway tracks", "railroad tracks",
    ),
    "park": (
        "garden", "playground", "backyard", "back yard", "yard", "lawn", "botanical garden",
        "park bench", "picnic", "city park", "flower garden",
    ),
    "space": (
        "outer space", "in orbit", "into orbit", "earth orbit", "moon landing", "on the moon",
        "to the moon", "lunar", "lunar surface", "moon surface", "surface of the moon",
        "cosmos", "galaxy", "nebula", "planet", "space station", "deep space", "universe",
        "mars", "asteroid", "asteroids", "zero gravity", "milky way", "solar system",
        "interstellar",
    ),
    "cave": ("cavern", "grotto", "underground", "tunnel", "caves", "mineshaft"),
    "room": (
        "bedroom", "kitchen", "office", "living room", "studio", "indoors", "apartment",
        "classroom", "library", "cafe", "café", "restaurant", "hallway", "dining room",
        "bathroom", "attic", "basement", "laboratory", "lab", "workshop", "museum",
        "gallery", "gym", "interior", "indoor", "diner", "bakery", "shop", "store",
        "lounge", "corridor", "living room couch", "stage", "theater", "theatre",
    ),
    "castle": (
        "throne room", "courtyard", "dungeon", "castle walls", "ramparts", "battlements",
        "great hall", "castle grounds", "castle gate", "drawbridge", "moat",
    ),
    "volcano": (
        "lava", "magma", "eruption", "erupting volcano", "crater", "volcanic", "lava flow",
        "lava field",
    ),
    "highway": (
        "freeway", "motorway", "road", "expressway", "interstate", "open road",
        "race track", "racetrack", "racing track", "the road", "runway",
        "tarmac", "speedway", "autobahn", "route 66", "overpass",
    ),
}

TIME_WORDS: dict[str, tuple[str, ...]] = {
    "dawn": (
        "dawn", "sunrise", "daybreak", "first light", "early morning", "break of day",
        "the sun rises", "sun rises", "sun rising", "rising sun", "sunup", "crack of dawn",
    ),
    "morning": ("morning", "in the morning", "mid morning", "this morning", "mornings"),
    "noon": (
        "noon", "midday", "mid day", "daylight", "daytime", "broad daylight", "high noon",
        "during the day", "lunchtime", "middle of the day", "in daylight",
    ),
    "afternoon": ("afternoon", "late afternoon", "early afternoon", "mid afternoon"),
    "sunset": (
        "sunset", "sundown", "golden hour", "evening", "the sun sets", "sun sets",
        "sun setting", "setting sun", "sunsets", "early evening", "evening light",
    ),
    "dusk": ("dusk", "twilight", "nightfall", "blue hour", "gloaming", "night falls"),
    "night": (
        "night", "nighttime", "night time", "midnight", "tonight", "at night", "moonlight",
        "moonlit", "moon", "full moon", "starry", "stars", "star", "starlit", "starlight",
        "after dark", "in the dark", "darkness", "nocturnal", "night sky", "nights",
        "late at night", "pitch dark", "moonrise", "aurora", "northern lights",
    ),
}

WEATHER_WORDS: dict[str, tuple[str, ...]] = {
    "clear": (
        "sunny", "clear", "clear sky", "clear skies", "blue sky", "blue skies", "cloudless",
        "sunshine", "sunlit", "bright sun", "sunny day", "fair weather", "sunlight",
        "sunbeams", "bright and sunny",
    ),
    "cloudy": (
        "cloudy", "clouds", "cloud", "overcast", "grey sky", "gray sky", "grey skies",
        "gray skies", "cloudy sky", "gloomy", "clouded", "partly cloudy",
    ),
    "rain": (
        "rain", "rains", "raining", "rained", "rainy", "rainfall", "drizzle", "drizzling",
        "drizzly", "downpour", "pouring rain", "raindrops", "rain showers", "monsoon",
        "showers", "wet weather", "puddles",
    ),
    "storm": (
        "storm", "storms", "stormy", "thunderstorm", "thunder", "lightning", "hurricane",
        "tornado", "typhoon", "cyclone", "gale", "tempest", "hail", "hailstorm", "rainstorm",
        "sandstorm", "storm clouds", "thunderclouds", "lightning strikes", "squall",
    ),
    "snow": (
        "snow", "snows", "snowing", "snowed", "snowy", "snowfall", "snowflakes", "snowflake",
        "snowman", "snowmen", "snowball", "snowballs",
        "snowstorm", "blizzard", "sleet", "winter", "wintry", "wintery", "flurries",
        "snow covered", "snowdrift", "snowdrifts",
    ),
    "fog": (
        "fog", "foggy", "mist", "misty", "haze", "hazy", "smog", "smoggy", "fogbank",
        "mists", "murky",
    ),
}

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "cinematic": (
        "cinematic", "film like", "filmic", "movie like", "hollywood", "photorealistic",
        "realistic", "live action", "blockbuster", "epic", "cinematography",
    ),
    "cartoon": (
        "cartoon", "cartoonish", "cartoony", "animated", "animation", "pixar", "pixar style",
        "disney", "anime", "manga", "claymation", "stop motion", "3d animated", "toon",
        "comic", "comic book", "cel shaded", "2d animation", "kids show", "cartoons",
    ),
    "noir": (
        "noir", "film noir", "black and white", "monochrome", "monochromatic", "grayscale",
        "greyscale", "noir style",
    ),
    "vintage": (
        "vintage", "retro", "old film", "old movie", "sepia", "vhs", "super 8", "8mm", "16mm",
        "film grain", "grainy", "nostalgic", "old fashioned", "1920s", "1930s", "1940s",
        "1950s", "1960s", "1970s", "1980s", "silent film", "silent movie", "antique",
        "old timey", "archival", "home video", "polaroid", "faded film",
    ),
    "neon": (
        "neon", "neon lit", "cyberpunk", "synthwave", "vaporwave", "outrun", "glowing neon",
        "blade runner", "neon lights", "neon signs", "tron", "retrowave",
    ),
    "pastel": (
        "pastel", "pastels", "dreamy", "dreamlike", "soft", "soft focus", "ethereal",
        "watercolor", "watercolour", "whimsical", "storybook", "pastel colors",
        "pastel colours", "candy colored", "candy coloured", "soft colors", "soft colours",
    ),
}

# Camera moves named outright, wherever they stand in the sentence.
CAMERA_PHRASES: dict[str, str] = {
    "static": "static", "static shot": "static", "static camera": "static",
    "locked off": "static", "locked off shot": "static", "tripod": "static",
    "tripod shot": "static", "fixed camera": "static", "fixed shot": "static",
    "still camera": "static", "still shot": "static", "stationary camera": "static",
    "wide shot": "static", "establishing shot": "static", "long shot": "static",
    "panning": "pan_right", "panning shot": "pan_right",
    "pan shot": "pan_right", "panoramic": "pan_right", "panorama": "pan_right",
    "tilt": "tilt_up", "tilting": "tilt_up", "tilt shot": "tilt_up",
    "zoom": "zoom_in", "zooming": "zoom_in", "zooms": "zoom_in", "zoom shot": "zoom_in",
    "close up": "zoom_in", "closeup": "zoom_in", "close ups": "zoom_in",
    "closeups": "zoom_in", "extreme close up": "zoom_in", "macro": "zoom_in",
    "macro shot": "zoom_in", "close shot": "zoom_in", "tight shot": "zoom_in",
    "wide reveal": "zoom_out", "reveal shot": "zoom_out", "slow reveal": "zoom_out",
    "tracking shot": "tracking", "tracking": "tracking", "tracking camera": "tracking",
    "follow shot": "tracking", "following shot": "tracking", "dolly": "tracking",
    "dolly shot": "tracking", "steadicam": "tracking", "trucking shot": "tracking",
    "handheld": "handheld", "hand held": "handheld", "shaky": "handheld",
    "shaky cam": "handheld", "shakycam": "handheld", "shaky camera": "handheld",
    "found footage": "handheld", "documentary style": "handheld", "documentary": "handheld",
    "vlog": "handheld", "bodycam": "handheld", "handheld camera": "handheld",
    "crane shot": "crane", "drone shot": "crane", "drone footage": "crane",
    "drone": "crane", "aerial": "crane", "aerial shot": "crane", "aerial view": "crane",
    "birds eye view": "crane", "bird eye view": "crane", "birdseye view": "crane",
    "overhead shot": "crane", "top down": "crane", "from above": "crane", "jib shot": "crane",
    "crane camera": "crane", "flyover": "crane", "fly over shot": "crane",
}
# Camera moves said with a verb ("pans left"): inflected like any verb.
CAMERA_VERBS: dict[str, str] = {
    "pan left": "pan_left", "pan to the left": "pan_left", "pan right": "pan_right",
    "pan to the right": "pan_right", "pan across": "pan_right", "pan over": "pan_right",
    "tilt up": "tilt_up", "tilt upward": "tilt_up", "tilt upwards": "tilt_up",
    "tilt down": "tilt_down", "tilt downward": "tilt_down", "tilt downwards": "tilt_down",
    "zoom in": "zoom_in", "zoom in on": "zoom_in", "push in": "zoom_in", "dolly in": "zoom_in",
    "zoom out": "zoom_out", "pull back": "zoom_out", "pull out": "zoom_out",
    "dolly out": "zoom_out", "pull away": "zoom_out", "zoom back": "zoom_out",
    "follow": "tracking", "track": "tracking", "dolly along": "tracking",
    "crane up": "crane", "crane down": "crane", "crane over": "crane",
}
# Verbs that are camera moves only when the camera does them ("the camera rises").
CAMERA_CONTEXT_VERBS: dict[str, str] = {
    "pan": "pan_right", "tilt": "tilt_up", "zoom": "zoom_in",
    "rise": "crane", "lift": "crane", "crane": "crane", "ascend": "crane", "soar": "crane",
    "climb": "crane", "fly up": "crane", "fly over": "crane", "rise up": "crane",
    "float up": "crane", "glide over": "crane", "sweep over": "crane",
    "trail": "tracking", "move alongside": "tracking", "move with": "tracking",
    "circle": "tracking", "orbit": "tracking", "circle around": "tracking",
    "revolve around": "tracking", "travel with": "tracking", "glide": "tracking",
    "shake": "handheld", "wobble": "handheld", "tremble": "handheld", "jitter": "handheld",
    "stay still": "static", "hold still": "static", "hold": "static", "stay": "static",
    "remain still": "static", "remain": "static", "stand still": "static",
    "move in": "zoom_in", "move closer": "zoom_in", "move toward": "zoom_in",
    "move towards": "zoom_in", "approach": "zoom_in", "push forward": "zoom_in",
    "glide forward": "zoom_in", "move forward": "zoom_in", "close in": "zoom_in",
    "creep forward": "zoom_in", "creep in": "zoom_in", "push": "zoom_in",
    "move back": "zoom_out", "move away": "zoom_out", "back away": "zoom_out",
    "retreat": "zoom_out", "back up": "zoom_out", "pull": "zoom_out", "recede": "zoom_out",
    "move left": "pan_left", "swing left": "pan_left", "turn left": "pan_left",
    "move right": "pan_right", "swing right": "pan_right", "turn right": "pan_right",
    "sweep": "pan_right", "sweep across": "pan_right", "swing": "pan_right",
    "descend": "tilt_down", "lower": "tilt_down", "drop": "tilt_down",
    "look up": "tilt_up", "look down": "tilt_down", "tilt up": "tilt_up",
}
# Adjectives after "camera is/stays": "the camera is still".
CAMERA_CONTEXT_WORDS: dict[str, str] = {
    "still": "static", "static": "static", "steady": "static", "fixed": "static",
    "is still": "static", "is static": "static", "does not move": "static",
    "doesn't move": "static", "never moves": "static", "shaky": "handheld",
    "is shaky": "handheld",
}
# Words that make the words after them about the camera.
CAMERA_NOUNS: tuple[str, ...] = ("camera", "cameras", "lens", "camerawork", "the shot")

# --- speech, reference and the rest ------------------------------------------------------

SPEECH_VERBS: tuple[str, ...] = (
    "say", "shout", "yell", "scream", "whisper", "ask", "reply", "answer", "exclaim",
    "mutter", "murmur", "mumble", "sing", "call", "cry", "announce", "declare", "tell",
    "add", "speak", "bark", "meow", "roar", "growl", "chirp", "beep", "hiss", "shriek",
    "squeak", "quack", "moo", "neigh", "howl", "sigh", "laugh", "giggle", "remark",
    "respond", "cheer", "chant", "whimper", "boom", "call out", "cry out", "shout out",
    "tweet", "squawk", "oink", "baa", "purr", "snarl", "grumble", "note", "insist",
    "plead", "beg", "reply back", "proclaim", "utter", "sob", "crow", "hoot", "honk",
    "buzz", "caw", "cluck", "coo", "trumpet", "yelp", "sneeze", "gasp",
)

# Subject pronouns start a clause about someone already named; object pronouns only refer.
PRONOUNS: dict[str, str] = {
    "it": "it", "he": "he", "she": "she", "they": "they",
    "him": "he", "them": "they", "itself": "it", "themselves": "they",
    "himself": "he", "herself": "she",
}
SUBJECT_PRONOUNS = frozenset({"it", "he", "she", "they"})

NEGATIONS: tuple[str, ...] = (
    "no", "not", "without", "never", "none", "nor", "neither", "doesn't", "don't",
    "isn't", "aren't", "wasn't", "weren't", "won't", "can't", "cannot", "instead of",
    "rather than", "free of", "minus", "no longer", "not a single", "lacking",
    "doesnt", "dont", "isnt", "arent", "absent",
)

# Phrases that mean nothing to the planner but would otherwise be misread word by word.
NULL_PHRASES: tuple[str, ...] = (
    "no one", "far away", "faraway", "far off", "in the fall", "in fall", "snow capped",
    "snowcapped", "street lamp", "street light", "street lights", "streetlights",
    "baseball bat", "the sun", "sun", "hot dog", "catwalk", "one another", "each other",
    "one by one", "dog tired", "left behind", "right now", "right away", "all right",
    "alright", "right next to", "right in front of", "on the left", "on the right",
    "at the left", "at the right", "left side", "right side", "left hand", "right hand",
    "to each other", "the rest of", "cat and mouse", "rest of", "play ball", "ball game",
    "star shaped", "wave", "waves", "rainbow", "fire", "camp", "the end", "in time",
    "over time", "time lapse", "timelapse", "slow motion", "in slow motion", "frame",
    "sky", "air", "in the air", "background", "foreground", "autumn leaves", "fallen leaves",
    "falling leaves", "the leaves", "leaves fall", "leaves falling", "dead leaves",
    "green leaves", "leaves drift", "leaves swirl", "leaves blow", "fall leaves", "lily pad",
    "lily pads", "water lily",
)

# Style phrases that, right before a noun, are its colour instead: "a black and white cat".
STYLE_PHRASE_COLOURS: dict[str, str] = {"black and white": "black"}

# Words that end a noun phrase when reading backwards from a noun to gather its adjectives.
NOUN_PHRASE_STOPS = frozenset(
    {
        "and", "or", "but", "nor", "with", "without", "in", "on", "at", "to", "from", "into",
        "onto", "over", "under", "above", "below", "behind", "beside", "besides", "near",
        "by", "through", "across", "along", "past", "around", "toward", "towards", "while",
        "as", "when", "is", "are", "was", "were", "be", "been", "being", "has", "have",
        "had", "of", "for", "than", "then", "who", "which", "that", "where", "after",
        "before", "until", "beneath", "between", "among", "amid", "inside", "outside",
        "off", "up", "down", "out", "there", "here", "so", "because", "if", "like", "via",
        "against", "within", "upon", "does", "do", "did", "can", "could", "will", "would",
        "should", "may", "might", "must", "watches", "sees", "meets", "finds", "whilst",
        "whereas", "though", "although", "beyond", "about", "per", "throughout", "alongside",
        "next", "front", "chasing", "following", "carrying", "holding", "riding", "wearing",
    }
)
# Words that start a new clause: a verb after one of them has a subject of its own.
CLAUSE_STARTS = frozenset(
    {
        "as", "while", "whilst", "when", "whenever", "because", "since", "until", "but",
        "although", "though", "whereas", "where", "so", "if", "once", "meanwhile", "yet",
        "before", "after",
    }
)
# Words that join nouns into one group that shares the verb: "a cat and a dog run".
JOINERS = frozenset({"and", "&", "or", "plus", "with", "alongside", "along"})
# Articles and other words that mark a second, distinct thing of a kind already named.
FRESH_MARKERS = frozenset({"another", "other", "second", "third", "different", "new"})
# fmt: on

"""Fixed catalogues the generator draws from: countries, devices, pages, products, referrers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    language: str
    timezone_offset_minutes: int
    ip_prefixes: tuple[str, ...]  # public ranges registered in the country
    carriers: tuple[str, ...]


COUNTRIES: tuple[tuple[Country, float], ...] = (
    (Country("US", "en_US", "en", -300, ("3.80.", "23.20.", "54.160."), ("Verizon", "AT&T", "T-Mobile")), 0.34),
    (Country("GB", "en_GB", "en", 0, ("81.2.69.", "86.128.", "2.96."), ("EE", "Vodafone UK", "O2")), 0.10),
    (Country("DE", "de_DE", "de", 60, ("5.9.", "46.4.", "88.198."), ("Telekom", "Vodafone.de", "o2-de")), 0.10),
    (Country("FR", "fr_FR", "fr", 60, ("90.84.", "176.128.", "82.64."), ("Orange F", "SFR", "Free")), 0.08),
    (Country("JP", "ja_JP", "ja", 540, ("133.11.", "126.0.", "60.32."), ("NTT DOCOMO", "au", "SoftBank")), 0.12),
    (Country("IN", "en_IN", "en", 330, ("49.36.", "106.192.", "117.96."), ("Jio", "Airtel", "Vi India")), 0.10),
    (Country("BR", "pt_BR", "pt", -180, ("177.32.", "189.40.", "200.150."), ("Vivo", "Claro BR", "TIM")), 0.08),
    (Country("AU", "en_AU", "en", 600, ("1.128.", "49.176.", "101.160."), ("Telstra", "Optus", "Vodafone AU")), 0.08),
)


@dataclass(frozen=True)
class WebBrowser:
    user_agent: str
    make: str
    screen: tuple[int, int]
    viewport: tuple[int, int]


WEB_BROWSERS: tuple[tuple[WebBrowser, float], ...] = (
    (
        WebBrowser(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
            "Google Inc.",
            (1920, 1080),
            (1903, 969),
        ),
        0.38,
    ),
    (
        WebBrowser(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
            "Apple Computer, Inc.",
            (1512, 982),
            (1512, 859),
        ),
        0.18,
    ),
    (
        WebBrowser(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "Apple Computer, Inc.",
            (390, 844),
            (390, 664),
        ),
        0.16,
    ),
    (
        WebBrowser(
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.6613.127 Mobile Safari/537.36",
            "Google Inc.",
            (384, 854),
            (384, 726),
        ),
        0.16,
    ),
    (
        WebBrowser(
            "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0", "", (2560, 1440), (2543, 1306)
        ),
        0.07,
    ),
    (
        WebBrowser(
            "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "Apple Computer, Inc.",
            (820, 1180),
            (820, 1106),
        ),
        0.05,
    ),
)


@dataclass(frozen=True)
class MobileDevice:
    platform: str  # "Android" or "iOS"
    make: str
    brand: str
    model: str
    os_version: str
    screen: tuple[int, int]
    user_agent: str


MOBILE_DEVICES: tuple[tuple[MobileDevice, float], ...] = (
    (
        MobileDevice(
            "Android",
            "samsung",
            "samsung",
            "SM-S918B",
            "14",
            (1080, 2340),
            "Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)",
        ),
        0.22,
    ),
    (
        MobileDevice(
            "Android",
            "Google",
            "google",
            "Pixel 8",
            "14",
            (1080, 2400),
            "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240805.005)",
        ),
        0.14,
    ),
    (
        MobileDevice(
            "Android",
            "Xiaomi",
            "Redmi",
            "23078RKD5C",
            "13",
            (1220, 2712),
            "Dalvik/2.1.0 (Linux; U; Android 13; 23078RKD5C Build/TKQ1.221114.001)",
        ),
        0.12,
    ),
    (
        MobileDevice(
            "Android",
            "HUAWEI",
            "HUAWEI",
            "ELS-NX9",
            "12",
            (1200, 2640),
            "Dalvik/2.1.0 (Linux; U; Android 12; ELS-NX9 Build/HUAWEIELS-N29)",
        ),
        0.06,
    ),
    (
        MobileDevice(
            "iOS",
            "apple",
            "apple",
            "iPhone15,2",
            "17.6",
            (1179, 2556),
            "ShopApp/3.4.0 CFNetwork/1496.0.7 Darwin/23.5.0",
        ),
        0.30,
    ),
    (
        MobileDevice(
            "iOS",
            "apple",
            "apple",
            "iPhone13,2",
            "16.7",
            (1170, 2532),
            "ShopApp/3.4.0 CFNetwork/1410.0.3 Darwin/22.6.0",
        ),
        0.16,
    ),
)

SITE_HOST = "shop.example.com"
APP_PACKAGE = "com.example.shop"
APP_TITLE = "Example Shop"
APP_VERSION = "3.4.0"
WEB_SDK_VERSION = "0.12.6"
ANDROID_SDK_VERSION = "0.14.1"
IOS_SDK_VERSION = "0.13.0"
SDK_NAME = "aws-solution-clickstream-sdk"

PAGES: tuple[tuple[str, str, str], ...] = (
    # (url path, page title, screen name)
    ("/", "Example Shop - Home", "HomeScreen"),
    ("/category/shoes", "Shoes - Example Shop", "CategoryScreen"),
    ("/category/jackets", "Jackets - Example Shop", "CategoryScreen"),
    ("/deals", "Deals - Example Shop", "DealsScreen"),
    ("/blog/autumn-style", "Autumn style guide - Example Shop", "ArticleScreen"),
    ("/help/shipping", "Shipping - Example Shop", "HelpScreen"),
)


@dataclass(frozen=True)
class Product:
    item_id: str
    name: str
    category: str
    brand: str
    price: float


PRODUCTS: tuple[Product, ...] = (
    Product("sku-1001", "Trail Runner 2", "shoes", "Northpeak", 119.0),
    Product("sku-1002", "City Sneaker", "shoes", "Urbane", 89.5),
    Product("sku-1003", "Rain Shell", "jackets", "Northpeak", 159.0),
    Product("sku-1004", "Down Parka", "jackets", "Frostline", 249.0),
    Product("sku-1005", "Wool Socks (3 pack)", "accessories", "Frostline", 24.0),
    Product("sku-1006", "Canvas Tote", "accessories", "Urbane", 35.0),
    Product("sku-1007", "Hiking Boot", "shoes", "Northpeak", 179.0),
    Product("sku-1008", "Fleece Vest", "jackets", "Urbane", 69.0),
)

# (referrer URL, weight): where referred visits come from.
REFERRERS: tuple[tuple[str, float], ...] = (
    ("https://www.google.com/", 0.45),
    ("https://www.bing.com/", 0.08),
    ("https://duckduckgo.com/", 0.05),
    ("https://www.facebook.com/", 0.12),
    ("https://t.co/", 0.06),
    ("https://www.reddit.com/r/hiking/", 0.08),
    ("https://www.youtube.com/", 0.06),
    ("https://blog.outdoors.example.org/best-boots", 0.10),
)

# (utm_source, utm_medium, utm_campaign, weight): tagged campaign visits.
CAMPAIGNS: tuple[tuple[str, str, str, float], ...] = (
    ("newsletter", "email", "autumn_sale", 0.35),
    ("google", "cpc", "brand_search", 0.30),
    ("facebook", "paid_social", "retargeting_q4", 0.20),
    ("partner_blog", "referral", "boot_guide", 0.15),
)

SEARCH_TERMS: tuple[str, ...] = ("boots", "rain jacket", "socks", "parka", "trail shoes", "gift")
